package store_test

import (
	"testing"
	"time"

	"github.com/specgate/specgate/oauth/store"
	"github.com/specgate/specgate/oauth/store/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		clock := storetest.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
		return storetest.Harness{
			Store:   store.NewMemory(store.MemoryOptions{Now: clock.Now}),
			Now:     clock.Now,
			Advance: clock.Advance,
		}
	})
}
