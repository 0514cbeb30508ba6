package api

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"unicode/utf8"

	"productgov/shared/app"
	"productgov/shared/assessment"
	"productgov/shared/decision"
	"productgov/shared/directory"
	"productgov/shared/mail"
	"productgov/shared/product"
	"productgov/shared/reason"
)

//go:embed pages/*.html
var pageFiles embed.FS

var stepStatusNames = map[decision.StepStatus]string{
	decision.StepPending: "未开始", decision.StepWaiting: "待审批", decision.StepApproved: "同意",
	decision.StepRejected: "驳回", decision.StepReturned: "退回", decision.StepExpired: "已过期", decision.StepCancelled: "已取消",
}

var formFieldNames = map[string]string{"decision": "决定", "comment": "意见", "minutesRef": "会议纪要编号"}

// nameOf is a code's Chinese name in the reason catalog (P§2–P§4, P§19),
// or the code when it has none.
func nameOf[K ~string](kind reason.Kind, k K) string {
	return reason.Format(kind, string(k))
}

// who is a person's name from a directory map, or the login when the
// directory has no name for it.
func who(names map[string]string, sub string) string {
	if n := names[sub]; n != "" {
		return n
	}
	if sub == app.SystemApplicant {
		return "系统"
	}
	return sub
}

var pages = template.Must(template.New("pages").Funcs(template.FuncMap{
	"stepName": app.StepName,
	"phaseName": func(p any) string {
		if n, ok := phaseNames[assessment.Phase(fmt.Sprint(p))]; ok {
			return n
		}
		return fmt.Sprint(p)
	},
	"stepStatus": func(s decision.StepStatus) string { return stepStatusNames[s] },
	"stageName":  func(st product.Stage) string { return nameOf(reason.KindStage, st) },
	"levelName":  func(l product.Level) string { return nameOf(reason.KindLevel, l) },
	"modeName":   func(m product.Mode) string { return nameOf(reason.KindMode, m) },
	"reasons":    reason.Join,
	"cause":      reason.Text,
	"who":        who,
	"fieldName": func(f string) string {
		if n, ok := formFieldNames[f]; ok {
			return n
		}
		return f
	},
}).ParseFS(pageFiles, "pages/*.html"))

// pageStatus is the HTTP status of each approval page state.
var pageStatus = map[app.LinkState]int{
	app.LinkOpen: http.StatusOK, app.LinkDecided: http.StatusOK, app.LinkInvalid: http.StatusForbidden,
	app.LinkExpired: http.StatusGone, app.LinkUsed: http.StatusConflict, app.LinkSuperseded: http.StatusConflict,
}

func renderPage(w http.ResponseWriter, status int, name string, data any) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Approval pages carry a signature in the URL: keep them out of caches
	// and referrers, and out of frames.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	w.WriteHeader(status)
	return pages.ExecuteTemplate(w, name, data)
}

func (s *Server) approvalPage(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	sig := r.URL.Query().Get("sig")
	page, err := s.App.ViewApproval(r.Context(), r.PathValue("id"), sig)
	if err != nil {
		return err
	}
	return renderPage(w, pageStatus[page.State], "approval.html", map[string]any{"Title": "审批", "Page": page, "Sig": sig, "Names": s.peopleNames(r)})
}

// maxCommentText bounds an approver's comment on the approval page.
const maxCommentText = 2000

func (s *Server) approvalDecision(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return renderPage(w, http.StatusBadRequest, "approval.html", map[string]any{"Title": "审批", "Page": app.ApprovalPage{State: app.LinkInvalid}})
	}
	form := app.DecisionForm{Sig: r.PostForm.Get("sig"), Decision: r.PostForm.Get("decision"),
		Comment: r.PostForm.Get("comment"), MinutesRef: r.PostForm.Get("minutesRef")}
	// Texts a person would not write are refused before anything is claimed.
	bad := map[string]string{}
	for field, limit := range map[string]int{"comment": maxCommentText, "minutesRef": maxShortText} {
		v := r.PostForm.Get(field)
		if !utf8.ValidString(v) {
			bad[field] = "is not valid UTF-8"
		} else if err := checkText(v, limit); err != nil {
			bad[field] = err.Error()
		}
	}
	if len(bad) > 0 {
		page, err := s.App.ViewApproval(r.Context(), r.PathValue("id"), form.Sig)
		if err != nil {
			return err
		}
		if page.State == app.LinkOpen {
			page.Errors = bad
		}
		return renderPage(w, http.StatusBadRequest, "approval.html", map[string]any{"Title": "审批", "Page": page, "Sig": form.Sig, "Names": s.peopleNames(r)})
	}
	page, err := s.App.DecideApproval(r.Context(), r.PathValue("id"), form)
	if err != nil {
		return err
	}
	status := pageStatus[page.State]
	if len(page.Errors) > 0 {
		status = http.StatusBadRequest
	}
	return renderPage(w, status, "approval.html", map[string]any{"Title": "审批", "Page": page, "Sig": form.Sig, "Names": s.peopleNames(r)})
}

func (s *Server) outbox(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	if !s.Local {
		return notFound()
	}
	msgs, err := s.App.Outbox(r.Context(), 100)
	if err != nil {
		return err
	}
	if msgs == nil {
		msgs = []mail.Message{}
	}
	writeJSON(w, http.StatusOK, msgs)
	return nil
}

func (s *Server) outboxPage(w http.ResponseWriter, r *http.Request, _ directory.Person) error {
	if !s.Local {
		return notFound()
	}
	msgs, err := s.App.Outbox(r.Context(), 100)
	if err != nil {
		return err
	}
	return renderPage(w, http.StatusOK, "outbox.html", map[string]any{"Title": "本地发件箱", "Messages": msgs})
}
