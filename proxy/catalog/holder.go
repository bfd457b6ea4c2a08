package catalog

import (
	"sync"
	"sync/atomic"
)

// Holder publishes the current Catalog. Readers call Current and always get one
// whole catalog; Set swaps it atomically and then tells every subscriber.
type Holder struct {
	cur atomic.Pointer[Catalog]

	mu   sync.Mutex
	subs []func(old, cur *Catalog)
}

// Current returns the catalog in force, or nil before the first Set.
func (h *Holder) Current() *Catalog { return h.cur.Load() }

// Set makes c the catalog in force and calls the subscribers, in the order
// they subscribed, with the previous and the new catalog. Calls to Set are
// serialized so subscribers see catalogs in the order they were set.
func (h *Holder) Set(c *Catalog) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.cur.Swap(c)
	for _, fn := range h.subs {
		fn(old, c)
	}
}

// Subscribe registers fn to be called after every Set. If a catalog is
// already in force, fn is called once with (nil, current) before Subscribe
// returns, so late subscribers start from the same state.
func (h *Holder) Subscribe(fn func(old, cur *Catalog)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs = append(h.subs, fn)
	if c := h.cur.Load(); c != nil {
		fn(nil, c)
	}
}
