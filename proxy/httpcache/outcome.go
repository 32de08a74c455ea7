package httpcache

// Outcome says how one request was answered.
type Outcome uint8

// The outcomes of Serve.
const (
	Bypass    Outcome = iota // not a cacheable request (method, no-store, ...): the origin answered, nothing stored or looked up
	Miss                     // looked up, not found or stale: the origin answered (the response may have been stored)
	Hit                      // answered from a stored entry, origin not asked
	Coalesced                // waited for a concurrent miss of the same URL and was answered from what it stored
)

// outcomes is how many outcomes there are, to count each.
const outcomes = int(Coalesced) + 1

// String names the outcome in the words the access log and metrics use.
func (o Outcome) String() string {
	switch o {
	case Bypass:
		return "bypass"
	case Miss:
		return "miss"
	case Hit:
		return "hit"
	case Coalesced:
		return "coalesced"
	default:
		return "unknown"
	}
}
