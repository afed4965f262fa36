package chaos

import (
	"math/rand/v2"
	"sort"
	"time"
)

// opKind is what an operation does to an object.
type opKind int

const (
	opCreate opKind = iota
	opEdit
	opDelete
	// opDrift tags the object's endpoint behind the controller's back.
	opDrift
)

// String names the operation, for the log.
func (k opKind) String() string {
	return [...]string{"create", "edit", "delete", "drift"}[k]
}

// op is an operation on object Obj, At after the chaos phase starts.
type op struct {
	At   time.Duration
	Kind opKind
	Obj  int
}

// deleteShare is the share of objects deleted during the chaos phase; the
// others live until the checks, then are deleted too.
const deleteShare = 0.4

// quickDelete bounds how soon after its create a quarter of the deleted
// objects are deleted.
const quickDelete = 3 * time.Second

// maxEdits bounds the edits of one object.
const maxEdits = 3

// planOps schedules every object's create, then up to maxEdits edits and, for
// deleteShare of them, a delete, at random moments of a window (a quarter of
// the deletes within quickDelete of the create). Creates fall in the window's
// first 60 %, so most objects see edits and crashes after they exist.
func planOps(rng *rand.Rand, objects int, window time.Duration) []op {
	var ops []op
	at := func(from time.Duration) time.Duration {
		return from + time.Duration(rng.Int64N(int64(window-from)+1))
	}
	for i := 0; i < objects; i++ {
		created := time.Duration(rng.Int64N(int64(window)*6/10 + 1))
		ops = append(ops, op{At: created, Kind: opCreate, Obj: i})
		end := window
		if rng.Float64() < deleteShare {
			if rng.IntN(4) == 0 {
				// Deleted right after the create, as a mistaken apply is:
				// inside AWS's consistency window, maybe before the create.
				end = min(window, created+time.Duration(rng.Int64N(int64(quickDelete))))
			} else {
				end = at(created)
			}
			ops = append(ops, op{At: end, Kind: opDelete, Obj: i})
		}
		for e := rng.IntN(maxEdits + 1); e > 0; e-- {
			if end > created {
				ops = append(ops, op{At: created + time.Duration(rng.Int64N(int64(end-created))), Kind: opEdit, Obj: i})
			}
		}
	}
	// Ties keep the object's order: create, edits, delete.
	sort.SliceStable(ops, func(a, b int) bool {
		if ops[a].At != ops[b].At {
			return ops[a].At < ops[b].At
		}
		return ops[a].Obj == ops[b].Obj && ops[a].Kind < ops[b].Kind
	})
	return ops
}

// planDrift adds, for driftShare of the objects, one drift at a random moment
// between the object's create and its delete (or the window's end). Its own
// generator keeps the other operations of a seed as they were.
func planDrift(rng *rand.Rand, ops []op, window time.Duration, driftShare float64) []op {
	created, end := map[int]time.Duration{}, map[int]time.Duration{}
	var objs []int
	for _, o := range ops {
		switch o.Kind {
		case opCreate:
			created[o.Obj], end[o.Obj] = o.At, window
			objs = append(objs, o.Obj)
		case opDelete:
			end[o.Obj] = o.At
		}
	}
	sort.Ints(objs)
	for _, i := range objs {
		if rng.Float64() < driftShare && end[i] > created[i] {
			ops = append(ops, op{At: created[i] + time.Duration(rng.Int64N(int64(end[i]-created[i]))), Kind: opDrift, Obj: i})
		}
	}
	sort.SliceStable(ops, func(a, b int) bool { return ops[a].At < ops[b].At })
	return ops
}

// kill is one crash: the manager runs Uptime, is killed with SIGKILL, and is
// restarted after Pause.
type kill struct {
	Uptime, Pause time.Duration
}

// planKills draws k crashes with uptimes in [minUp, maxUp] and pauses up to
// maxPause.
func planKills(rng *rand.Rand, k int, minUp, maxUp, maxPause time.Duration) []kill {
	kills := make([]kill, k)
	for i := range kills {
		kills[i] = kill{
			Uptime: minUp + time.Duration(rng.Int64N(int64(maxUp-minUp)+1)),
			Pause:  time.Duration(rng.Int64N(int64(maxPause) + 1)),
		}
	}
	return kills
}

// window is how long the kills take (without restart times): the span over
// which operations are spread.
func window(kills []kill) time.Duration {
	var w time.Duration
	for _, k := range kills {
		w += k.Uptime + k.Pause
	}
	return w
}
