package conformance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// motoIAM creates roles through moto's IAM Query API. moto keeps requests
// signed with an account's root key in its one default account (it does not
// key accounts by access key), and its AssumeRole answers for any role ARN;
// the role is created so that the scenarios' calls are the same on both
// targets.
type motoIAM struct{ endpoint string }

func (m motoIAM) PutRole(ctx context.Context, account, name, trustPolicy, policy string) error {
	if err := m.call(ctx, account, url.Values{"Action": {"CreateRole"}, "RoleName": {name}, "AssumeRolePolicyDocument": {trustPolicy}}); err != nil {
		return err
	}
	if policy == "" {
		return nil
	}
	return m.call(ctx, account, url.Values{"Action": {"PutRolePolicy"}, "RoleName": {name}, "PolicyName": {"conformance"}, "PolicyDocument": {policy}})
}

// call sends one IAM Query request signed with the account's root key.
func (m motoIAM) call(ctx context.Context, account string, form url.Values) error {
	form.Set("Version", "2010-05-08")
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.endpoint+"/", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: account, SecretAccessKey: "conformance"}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now()); err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		data, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("IAM %s: HTTP %d: %s", form.Get("Action"), resp.StatusCode, data)
	}
	return nil
}
