package tokenreview

import (
	"context"
	"errors"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// The codes WithCallObserver reports for a review that got no HTTP status.
const (
	// CodeLimited: WithRateLimit or WithMaxInFlight refused the review; no
	// call was made.
	CodeLimited = "limited"
	// CodeTimeout: the call did not end within WithTimeout.
	CodeTimeout = "timeout"
	// CodeCanceled: the call's context was canceled.
	CodeCanceled = "canceled"
	// CodeError: any other failure without a status, such as a refused
	// connection.
	CodeError = "error"
)

// codeCreated is the status of an answered review (the API server creates
// the TokenReview).
const codeCreated = "201"

// observeCall reports one review's outcome to the WithCallObserver
// function, if any.
func (s *Strategy) observeCall(code string) {
	if s.onCall != nil {
		s.onCall(code)
	}
}

// callErrorCode classifies err, a failed TokenReview call, as the HTTP
// status the API server answered or one of the Code constants. Only the
// status number is read, never the text of the answer.
func callErrorCode(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		if c := status.Status().Code; c >= 100 && c <= 599 {
			return strconv.Itoa(int(c))
		}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	}
	return CodeError
}
