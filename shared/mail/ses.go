package mail

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// SES sends through Amazon SES v2 from a verified identity.
type SES struct {
	Client *sesv2.Client
	From   string
}

// Send sends one message with its text and HTML bodies.
func (s SES) Send(ctx context.Context, m Message) error {
	utf8 := aws.String("UTF-8")
	_, err := s.Client.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Destination:      &sestypes.Destination{ToAddresses: []string{m.To}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(m.Subject), Charset: utf8},
			Body: &sestypes.Body{
				Text: &sestypes.Content{Data: aws.String(m.Text), Charset: utf8},
				Html: &sestypes.Content{Data: aws.String(m.HTML), Charset: utf8},
			},
		}},
	})
	if err != nil {
		return fmt.Errorf("mail: ses send to %s: %w", m.To, err)
	}
	return nil
}
