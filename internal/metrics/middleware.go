package metrics

import (
	"context"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"

	"github.com/vpce-dev/vpce-controller/internal/awserr"
)

// Middleware returns the EC2 client option that records every attempt's outcome and
// latency. It sits after the client-side throttle, so latency excludes limiter waits.
func Middleware() func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		mw := middleware.FinalizeMiddlewareFunc("vpce-metrics", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			action := awsmiddleware.GetOperationName(ctx)
			start := time.Now()
			out, md, err := next.HandleFinalize(ctx, in)
			EC2Latency.WithLabelValues(action).Observe(time.Since(start).Seconds())
			outcome := "ok"
			if err != nil {
				outcome = awserr.Code(err)
				if outcome == "" {
					outcome = "transport-error"
				}
				if awserr.Classify(err) == awserr.Throttled {
					EC2Throttled.WithLabelValues(action).Inc()
				}
			}
			EC2Calls.WithLabelValues(action, outcome).Inc()
			return out, md, err
		})
		if _, ok := s.Finalize.Get("vpce-throttle"); ok {
			return s.Finalize.Insert(mw, "vpce-throttle", middleware.After)
		}
		if _, ok := s.Finalize.Get("Retry"); ok {
			return s.Finalize.Insert(mw, "Retry", middleware.After)
		}
		return s.Finalize.Add(mw, middleware.Before)
	}
}

// ObserveThrottleWait records a wait on the client-side limiter.
func ObserveThrottleWait(action string, waited time.Duration) {
	ThrottleWait.WithLabelValues(action).Observe(waited.Seconds())
}
