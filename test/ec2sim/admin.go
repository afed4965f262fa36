package ec2sim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// serveAdmin answers the JSON admin API under /_sim/; see README.md. The
// query parameters account and region scope a route to one account (and
// region) as Server.Account and Server.Region do; without them a route acts
// as the method of the value New returns.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/_sim/")
	route := r.Method + " " + path
	if strings.HasPrefix(path, "endpoints/") && r.Method == http.MethodPost {
		route = "POST endpoints/{id}/" + path[strings.LastIndexByte(path, '/')+1:]
	}
	if strings.HasPrefix(path, "roles/") && r.Method == http.MethodDelete {
		route = "DELETE roles/{account}/{name}"
	}
	s, err := s.adminScope(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if s.serveAccountsAdmin(w, r, route, path) {
		return
	}
	switch route {
	case "GET fixture":
		writeJSON(w, http.StatusOK, s.LoadFixture())
	case "GET counters":
		if r.URL.Query().Get("service") == "sts" {
			writeJSON(w, http.StatusOK, s.STSCounters())
			return
		}
		writeJSON(w, http.StatusOK, s.Counters())
	case "DELETE counters":
		s.ResetCounters()
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case "POST throttle":
		var req struct {
			Enabled   bool     `json:"enabled"`
			TimeScale *float64 `json:"timeScale"`
			Drain     bool     `json:"drain"`
		}
		if decode(w, r, &req) {
			s.SetThrottle(req.Enabled)
			if req.TimeScale != nil {
				s.SetTimeScale(*req.TimeScale)
			}
			if req.Drain {
				s.DrainBuckets()
			}
			writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
		}
	case "POST faults":
		var req struct {
			Fault
			Latency string `json:"latency"`
		}
		if decode(w, r, &req) {
			f := req.Fault
			if req.Latency != "" {
				d, err := time.ParseDuration(req.Latency)
				if err != nil {
					writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
					return
				}
				f.Latency = d
			}
			s.InjectFault(f)
			writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
		}
	case "DELETE faults":
		s.ClearFaults()
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case "POST consistency":
		var req struct {
			Window string `json:"window"`
			Jitter *bool  `json:"jitter"`
		}
		if !decode(w, r, &req) {
			return
		}
		d, err := time.ParseDuration(req.Window)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		if req.Jitter == nil {
			// The body of earlier versions keeps its meaning: the narrow window.
			s.SetConsistencyWindow(d)
		} else {
			s.SetConsistency(Consistency{Window: d, Jitter: *req.Jitter})
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case "GET consistency":
		c := s.ConsistencySettings()
		writeJSON(w, http.StatusOK, map[string]any{"window": c.Window.String(), "jitter": c.Jitter, "onlyNewEndpointsByID": c.OnlyNewEndpointsByID})
	case "POST state-delay":
		var req struct {
			Delay string `json:"delay"`
		}
		if !decode(w, r, &req) {
			return
		}
		d, err := time.ParseDuration(req.Delay)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		s.SetStateDelay(d)
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case "POST services":
		var cfg EndpointServiceConfig
		if decode(w, r, &cfg) {
			writeJSON(w, http.StatusOK, map[string]string{"serviceName": s.AddEndpointService(cfg)})
		}
	case "POST endpoints/{id}/accept", "POST endpoints/{id}/reject":
		parts := strings.Split(path, "/")
		if len(parts) != 3 {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
			return
		}
		decide := s.AcceptEndpoint
		if parts[2] == "reject" {
			decide = s.RejectEndpoint
		}
		if err := decide(parts[1]); err != nil {
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case "POST endpoints/{id}/fail", "POST endpoints/{id}/state":
		parts := strings.Split(path, "/")
		var req struct {
			State   string `json:"state"`
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		if len(parts) != 3 || !decode(w, r, &req) {
			if len(parts) != 3 {
				writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
			}
			return
		}
		if parts[2] == "fail" {
			req.State = stateFailed
		}
		if err := s.SetEndpointState(parts[1], req.State, req.Code, req.Message); err != nil {
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case "POST iam":
		doc, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err == nil {
			err = s.SetIAMPolicy(doc)
		}
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown admin route " + route})
	}
}

// decode reads a JSON request body, answering 400 when it is malformed.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
