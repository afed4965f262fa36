package ec2sim

import (
	"fmt"
	"net/http"
	"strings"
)

// adminScope returns the view an admin request acts on: the emulator, or
// the account and region its query names (?account=…&region=…). An account
// the server does not have is an error. The caller does not hold s.mu.
func (s *Server) adminScope(r *http.Request) (*Server, error) {
	q := r.URL.Query()
	account, region := q.Get("account"), q.Get("region")
	if account == "" && region == "" {
		return s, nil
	}
	if region != "" && !regionPattern.MatchString(region) {
		return nil, fmt.Errorf("region %q is not a region name", region)
	}
	s.mu.Lock()
	reg := s.reg
	a := reg.defaultAccount()
	if account != "" {
		a = reg.account(account)
	}
	if a == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("%q is not an account of this server (%v)", account, reg.order)
	}
	if region == "" {
		region = s.opts.Region
	}
	cell := reg.cell(a, region)
	s.mu.Unlock()
	return cell, nil
}

// serveAccountsAdmin answers the routes of accounts and roles; it reports
// whether the route was one of them.
func (s *Server) serveAccountsAdmin(w http.ResponseWriter, r *http.Request, route, path string) bool {
	switch route {
	case "GET accounts":
		s.mu.Lock()
		out := map[string]any{}
		var accounts []map[string]any
		for _, a := range s.root.scopeAccounts() {
			regions := []string{}
			for _, c := range a.cellsSorted() {
				regions = append(regions, c.opts.Region)
			}
			accounts = append(accounts, map[string]any{"id": a.id, "regions": regions, "roles": len(a.roles)})
		}
		out["accounts"], out["default"], out["region"], out["strict"] = accounts, s.root.reg.order[0], s.root.opts.Region, s.root.reg.strict
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	case "GET roles":
		writeJSON(w, http.StatusOK, s.Roles())
	case "POST roles":
		var role Role
		if !decode(w, r, &role) {
			return true
		}
		if err := s.PutRole(role); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return true
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case "DELETE roles/{account}/{name}":
		parts := strings.Split(path, "/")
		if len(parts) != 3 {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "DELETE /_sim/roles/{account}/{name}"})
			return true
		}
		if err := s.DeleteRole(parts[1], parts[2]); err != nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			return true
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	default:
		return false
	}
	return true
}
