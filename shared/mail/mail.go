// Package mail sends the system's emails: through SES on AWS, into an outbox a
// person can read on the local stack (SPEC 2.4).
package mail

import (
	"context"
	"time"
)

// Message is one email. Text and HTML carry the same zh-CN content.
type Message struct {
	ID      string    `json:"id"`
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Text    string    `json:"text"`
	HTML    string    `json:"html"`
	Links   []string  `json:"links"`
	SentAt  time.Time `json:"sentAt"`
}

// Sender sends messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}
