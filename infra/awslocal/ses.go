package awslocal

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"time"

	"productgov/shared/mail"
)

// Mail serves SES v2 SendEmail (POST /v2/email/outbound-emails, REST JSON)
// into an outbox a person reads on the local stack (/dev/outbox.html).
type Mail struct {
	// Outbox keeps what was sent.
	Outbox mail.Sender
	// Now stamps the messages; nil means time.Now.
	Now func() time.Time
}

type sesContent struct {
	Data    string `json:"Data"`
	Charset string `json:"Charset"`
}

// linkPattern finds the links a message carries, for the outbox listing.
var linkPattern = regexp.MustCompile(`https?://[^\s"'<>]+`)

// ServeHTTP implements http.Handler.
func (m *Mail) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v2/email/outbound-emails" {
		writeRESTError(w, http.StatusNotFound, "NotFoundException", "the local SES serves only SendEmail")
		return
	}
	var in struct {
		FromEmailAddress string `json:"FromEmailAddress"`
		Destination      struct {
			ToAddresses []string `json:"ToAddresses"`
		} `json:"Destination"`
		Content struct {
			Simple *struct {
				Subject sesContent `json:"Subject"`
				Body    struct {
					Text *sesContent `json:"Text"`
					Html *sesContent `json:"Html"`
				} `json:"Body"`
			} `json:"Simple"`
		} `json:"Content"`
	}
	if err := readJSON(r, &in); err != nil {
		writeRESTError(w, http.StatusBadRequest, "BadRequestException", err.Error())
		return
	}
	simple := in.Content.Simple
	if simple == nil || len(in.Destination.ToAddresses) == 0 || in.FromEmailAddress == "" {
		writeRESTError(w, http.StatusBadRequest, "BadRequestException", "FromEmailAddress, Destination.ToAddresses and Content.Simple are required")
		return
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	id := newMessageID()
	msg := mail.Message{ID: id, Subject: simple.Subject.Data, SentAt: now().UTC(), Links: []string{}}
	if simple.Body.Text != nil {
		msg.Text = simple.Body.Text.Data
		msg.Links = linkPattern.FindAllString(msg.Text, -1)
	}
	if simple.Body.Html != nil {
		msg.HTML = simple.Body.Html.Data
	}
	for _, to := range in.Destination.ToAddresses {
		msg.To = to
		if err := m.Outbox.Send(r.Context(), msg); err != nil {
			writeRESTError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"MessageId": id})
}

// writeRESTError answers a REST JSON protocol error.
func writeRESTError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": message})
}

func newMessageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
