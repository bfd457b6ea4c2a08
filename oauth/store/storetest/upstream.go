package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"
)

func testUpstreamCredentials(t *testing.T, h Harness) {
	st := h.Store
	_, err := st.GetUpstreamCredential(ctx, "g1")
	mustNotFound(t, err, "get before save")
	mustOK(t, st.DeleteUpstreamCredential(ctx, "g1"), "delete absent credential")

	// Arbitrary bytes, including NUL and invalid UTF-8, must round-trip exactly.
	sealed := []byte{0x01, 'k', '1', 0x00, 0xff, 0xfe, 0x80, 'x'}
	mustOK(t, st.SaveUpstreamCredential(ctx, "g1", sealed, h.Now().Add(time.Hour)), "save g1")
	sealed[0] = 0x42 // the store must have kept its own copy
	got, err := st.GetUpstreamCredential(ctx, "g1")
	mustOK(t, err, "get g1")
	want := []byte{0x01, 'k', '1', 0x00, 0xff, 0xfe, 0x80, 'x'}
	if !bytes.Equal(got, want) {
		t.Fatalf("get g1 = %x, want %x", got, want)
	}
	got[1] = 'Z'
	again, _ := st.GetUpstreamCredential(ctx, "g1")
	if !bytes.Equal(again, want) {
		t.Fatal("mutation of a returned credential leaked into the store")
	}
	_, err = st.GetUpstreamCredential(ctx, "g2")
	mustNotFound(t, err, "other grant")

	mustOK(t, st.SaveUpstreamCredential(ctx, "g1", []byte("replaced"), h.Now().Add(3*time.Hour)), "replace g1")
	got, err = st.GetUpstreamCredential(ctx, "g1")
	mustOK(t, err, "get replaced g1")
	if string(got) != "replaced" {
		t.Fatalf("replaced g1 = %q", got)
	}
	mustOK(t, st.SaveUpstreamCredential(ctx, "g2", []byte("short"), h.Now().Add(time.Hour)), "save g2")
	mustOK(t, st.SaveUpstreamCredential(ctx, "g3", []byte("forever"), time.Time{}), "save g3 without expiry")

	h.Advance(2 * time.Hour)
	_, err = st.GetUpstreamCredential(ctx, "g2")
	mustNotFound(t, err, "expired g2")
	got, err = st.GetUpstreamCredential(ctx, "g1")
	mustOK(t, err, "replacement extended the expiry of g1")
	if string(got) != "replaced" {
		t.Fatalf("g1 after advance = %q", got)
	}
	if _, err := st.GetUpstreamCredential(ctx, "g3"); err != nil {
		t.Fatalf("credential without expiry: %v", err)
	}

	mustOK(t, st.DeleteUpstreamCredential(ctx, "g1"), "delete g1")
	_, err = st.GetUpstreamCredential(ctx, "g1")
	mustNotFound(t, err, "deleted g1")
	if _, err := st.GetUpstreamCredential(ctx, "g3"); err != nil {
		t.Fatalf("deleting g1 touched g3: %v", err)
	}
	if err := st.SaveUpstreamCredential(ctx, "", []byte("x"), time.Time{}); err == nil {
		t.Fatal("empty grant id was accepted")
	}
	if err := st.SaveUpstreamCredential(ctx, "g4", nil, time.Time{}); err == nil {
		t.Fatal("empty ciphertext was accepted")
	}

	// Concurrent writers of distinct grants never lose or mix records.
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				id := fmt.Sprintf("c%d-%d", g, i)
				if err := st.SaveUpstreamCredential(ctx, id, []byte("v-"+id), h.Now().Add(time.Hour)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for g := range 8 {
		for i := range 20 {
			id := fmt.Sprintf("c%d-%d", g, i)
			got, err := st.GetUpstreamCredential(ctx, id)
			if err != nil || string(got) != "v-"+id {
				t.Fatalf("concurrent %s = %q, %v", id, got, err)
			}
		}
	}
}
