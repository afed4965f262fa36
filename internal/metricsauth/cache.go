package metricsauth

import (
	"crypto/sha256"
	"net/http"
	"time"

	"k8s.io/utils/lru"
)

// decision is what the reviews concluded for one token, verb and path.
type decision struct {
	// code is the answer: http.StatusOK, http.StatusUnauthorized or http.StatusForbidden.
	code int
	// user is the authenticated user name (empty when the token did not authenticate).
	user string
	// reason is what the apiserver said of a refusal, for the log.
	reason string
}

// cacheKey identifies a request by a hash of its bearer token (the token itself is
// never kept), the verb and the path.
type cacheKey struct {
	token      [sha256.Size]byte
	verb, path string
}

func keyOf(token, verb, path string) cacheKey {
	return cacheKey{token: sha256.Sum256([]byte(token)), verb: verb, path: path}
}

// cachedDecision is a decision and the time it stops being used.
type cachedDecision struct {
	decision
	expires time.Time
}

// decisionCache remembers decisions for a while, so each scrape does not cost a
// TokenReview and a SubjectAccessReview: allowed ones for allowedTTL, refused ones
// (401, 403) for refusedTTL. It holds at most a fixed number of entries and evicts
// the least recently used first. Failed reviews are never cached.
type decisionCache struct {
	entries                *lru.Cache
	allowedTTL, refusedTTL time.Duration
	now                    func() time.Time
}

func newDecisionCache(size int, allowedTTL, refusedTTL time.Duration, now func() time.Time) *decisionCache {
	return &decisionCache{entries: lru.New(size), allowedTTL: allowedTTL, refusedTTL: refusedTTL, now: now}
}

// get returns the decision for k unless there is none or it has expired.
func (c *decisionCache) get(k cacheKey) (decision, bool) {
	v, ok := c.entries.Get(k)
	if !ok {
		return decision{}, false
	}
	e := v.(cachedDecision)
	if !c.now().Before(e.expires) {
		c.entries.Remove(k)
		return decision{}, false
	}
	return e.decision, true
}

// put remembers d for k for the TTL of its kind.
func (c *decisionCache) put(k cacheKey, d decision) {
	ttl := c.refusedTTL
	if d.code == http.StatusOK {
		ttl = c.allowedTTL
	}
	if ttl <= 0 {
		return
	}
	c.entries.Add(k, cachedDecision{decision: d, expires: c.now().Add(ttl)})
}

// len is the number of entries held, expired ones included until looked up or evicted.
func (c *decisionCache) len() int { return c.entries.Len() }
