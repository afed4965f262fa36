package accounts

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/vpce-dev/vpce-controller/api/v1alpha1"
	"github.com/vpce-dev/vpce-controller/internal/awserr"
)

// Identity is who the controller acts as in an account (STS GetCallerIdentity).
type Identity struct {
	Account string
	ARN     string
}

// selfTTL is how long the controller's own identity is remembered.
const selfTTL = 10 * time.Minute

// Self returns the controller's own identity, remembered for a while.
func (r *Registry) Self(ctx context.Context) (Identity, error) {
	r.self.mu.Lock()
	defer r.self.mu.Unlock()
	if !r.self.at.IsZero() && time.Since(r.self.at) < selfTTL {
		return r.self.id, r.self.err
	}
	id, err := callerIdentity(ctx, r.stsClient(r.base))
	if err != nil {
		err = r.explain(ctx, Credentials{}, StageIdentity, err)
	}
	r.self.id, r.self.err, r.self.at = id, err, time.Now()
	if err != nil {
		r.self.at = time.Time{} // failures are not remembered
	}
	return id, err
}

// Identify assumes the account's role (its credentials cache refreshes them when
// they near expiry) and asks STS who the controller is there. A failure is a
// *CheckError whose Reason says precisely why.
func (a *Account) Identify(ctx context.Context) (id Identity, err error) {
	defer func() { a.verified.Store(err == nil) }()
	if a.creds.RoleARN != "" {
		if p, q := PartitionOfARN(a.creds.RoleARN), Partition(a.base.Region); p != q {
			return Identity{}, &CheckError{Stage: StageAssumeRole, Reason: v1alpha1.ReasonAssumeRoleDenied, Terminal: true,
				Message: fmt.Sprintf("spec.roleARN: role %s is in partition %s, but the controller runs in %s (region %s), and IAM principals cannot assume roles across partitions; run an install of the controller in %s for this account", a.creds.RoleARN, p, q, a.base.Region, p)}
		}
		if _, err := a.cfg.Credentials.Retrieve(ctx); err != nil {
			return Identity{}, a.registry.explain(ctx, a.creds, StageAssumeRole, err)
		}
	}
	id, err = callerIdentity(ctx, a.sts)
	if err != nil {
		return Identity{}, a.registry.explain(ctx, a.creds, StageIdentity, err)
	}
	return id, nil
}

func callerIdentity(ctx context.Context, cl *sts.Client) (Identity, error) {
	out, err := cl.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, err
	}
	return Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn)}, nil
}

// Stage is the step of a check that failed.
type Stage string

// The steps of a check.
const (
	// StageAssumeRole is sts:AssumeRole of the account's role.
	StageAssumeRole Stage = "AssumeRole"
	// StageIdentity is sts:GetCallerIdentity with the account's credentials.
	StageIdentity Stage = "GetCallerIdentity"
)

// CheckError says why the controller cannot act in an account: a Ready reason and
// a message for the AWSAccount's condition.
type CheckError struct {
	Stage   Stage
	Reason  string
	Message string
	// Terminal is set when only a change of the role, its trust policy, the
	// credentials or the AWSAccount can help (Stalled); otherwise it is retried.
	Terminal bool
	Err      error
}

func (e *CheckError) Error() string { return e.Reason + ": " + e.Message }

func (e *CheckError) Unwrap() error { return e.Err }

// explain turns a failed check into a CheckError. The controller's own
// credentials are looked at first: when they cannot be had, nothing else can work.
func (r *Registry) explain(ctx context.Context, c Credentials, stage Stage, err error) *CheckError {
	var ce *CheckError
	if errors.As(err, &ce) {
		return ce
	}
	if _, berr := r.base.Credentials.Retrieve(ctx); berr != nil {
		return &CheckError{Stage: stage, Reason: v1alpha1.ReasonCredentialsUnavailable, Terminal: true, Err: berr,
			Message: fmt.Sprintf("the controller has no AWS credentials of its own to call STS with: %v; give its pod an identity (IRSA, EKS Pod Identity, or AWS_* variables)", berr)}
	}
	e := Classify(stage, c, err)
	if e.Reason == v1alpha1.ReasonAssumeRoleDenied {
		who := "the controller's identity"
		if r.selfKnown() {
			who = r.self.id.ARN
		} else if id, serr := callerIdentity(ctx, r.stsClient(r.base)); serr == nil {
			who = id.ARN
		}
		e.Message = strings.Replace(e.Message, "{caller}", who, 1)
	}
	return e
}

func (r *Registry) selfKnown() bool {
	r.self.mu.Lock()
	defer r.self.mu.Unlock()
	return !r.self.at.IsZero() && r.self.err == nil && time.Since(r.self.at) < selfTTL
}

// Classify says why a step of a check failed. AWS answers AccessDenied alike when
// the role does not exist, when its trust policy does not name the caller, when
// the external ID differs, and when the trust policy lacks sts:TagSession for
// session tags: the message lists what to check, with what was sent. "{caller}"
// in the message stands for the caller's ARN.
func Classify(stage Stage, c Credentials, err error) *CheckError {
	e := &CheckError{Stage: stage, Err: err}
	var api smithy.APIError
	if !errors.As(err, &api) {
		if unreachable(err) {
			e.Reason = v1alpha1.ReasonSTSUnreachable
			e.Message = fmt.Sprintf("no answer from STS (%s): %v; check the network path from the controller to STS (DNS, proxy, VPC endpoint for sts, security groups)", stage, rootCause(err))
			return e
		}
		e.Reason, e.Terminal = v1alpha1.ReasonCredentialsUnavailable, true
		e.Message = fmt.Sprintf("%s failed before reaching STS: %v", stage, err)
		return e
	}
	code, msg := api.ErrorCode(), api.ErrorMessage()
	switch {
	case stage == StageAssumeRole && code == "AccessDenied":
		e.Reason, e.Terminal = v1alpha1.ReasonAssumeRoleDenied, true
		var sent []string
		if c.ExternalID != "" {
			sent = append(sent, "external ID (spec.externalID)")
		}
		if len(c.SessionTags) > 0 {
			sent = append(sent, "session tags (spec.sessionTags, which need sts:TagSession)")
		}
		with := ""
		if len(sent) > 0 {
			with = " with the " + strings.Join(sent, " and the ")
		}
		e.Message = fmt.Sprintf("STS refused to let {caller} assume role %s%s (AccessDenied: %s). AWS gives this one answer when the role does not exist, when its trust policy does not allow this caller, when the trust policy's sts:ExternalId differs from spec.externalID (or is required and none was sent), and when session tags are sent without sts:TagSession; check them in that order", c.RoleARN, with, msg)
	case code == "NoSuchEntity":
		e.Reason, e.Terminal = v1alpha1.ReasonRoleNotFound, true
		e.Message = fmt.Sprintf("role %s does not exist (%s: %s); fix spec.roleARN or create the role", c.RoleARN, code, msg)
	case code == "RegionDisabledException":
		e.Reason, e.Terminal = v1alpha1.ReasonSTSRegionDisabled, true
		e.Message = fmt.Sprintf("STS is not activated in the controller's region for the account (%s); activate it in IAM's account settings, or set AWS_STS_REGIONAL_ENDPOINTS", msg)
	case code == "InvalidClientTokenId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken" || code == "ExpiredTokenException" || code == "UnrecognizedClientException" || code == "InvalidAccessKeyId":
		e.Reason, e.Terminal = v1alpha1.ReasonCredentialsUnavailable, true
		e.Message = fmt.Sprintf("STS refused the controller's own credentials (%s: %s); check the pod's identity (IRSA role annotation, EKS Pod Identity association, AWS_* variables)", code, msg)
	case awserr.Classify(err) != awserr.Terminal:
		e.Reason = awserr.Reason(code)
		e.Message = fmt.Sprintf("STS %s answered %s: %s; retrying", stage, code, msg)
	default:
		e.Reason, e.Terminal = awserr.Reason(code), true
		e.Message = fmt.Sprintf("STS %s answered %s: %s", stage, code, msg)
	}
	return e
}

// unreachable reports whether err means STS never answered.
func unreachable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded)
}

// rootCause is the network error under err, for short messages.
func rootCause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns
	}
	return err
}
