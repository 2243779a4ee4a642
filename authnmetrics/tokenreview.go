package authnmetrics

// TokenReviewCall counts one TokenReview under its code; give it to
// tokenreview.WithCallObserver. A code is kept if it is an HTTP status
// (three digits, 100 to 599) or one of "limited", "timeout", "canceled"
// and "error"; anything else is counted as "error", so that no text can
// become a label.
func (m *Metrics) TokenReviewCall(code string) {
	if !validCode(code) {
		code = "error"
	}
	m.reviews.WithLabelValues(code).Inc()
}

// validCode reports whether code is a label value TokenReviewCall keeps.
func validCode(code string) bool {
	switch code {
	case "limited", "timeout", "canceled", "error":
		return true
	}
	return len(code) == 3 && code[0] >= '1' && code[0] <= '5' &&
		code[1] >= '0' && code[1] <= '9' && code[2] >= '0' && code[2] <= '9'
}
