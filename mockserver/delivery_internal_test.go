package mockserver

import (
	"net/url"
	"testing"

	"github.com/google/uuid"
)

// dropped amends the entry it names, and only that one, wherever the ring
// holds it; an entry reset or overwritten since is left alone. The
// inspector's live tag moves with it.
func TestJournalDroppedAmendsItsEntry(t *testing.T) {
	s, err := New(Options{JournalSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	j := s.journal
	add := func() uint64 { return j.add(Entry{Status: 200, Outcome: OutcomeOK, token: uuid.New()}) }
	outcomes := func() map[uint64]string {
		out := map[uint64]string{}
		for _, e := range j.list(Filter{}) {
			out[e.Seq] = e.Outcome
			if (e.Outcome == OutcomeDropped) != (e.Status == 0 && e.Token == "") {
				t.Errorf("entry %d: status %d token %q outcome %q", e.Seq, e.Status, e.Token, e.Outcome)
			}
		}
		return out
	}
	for range 5 {
		add() // seq 1 to 5; the ring holds 3, 4, 5, wrapped
	}
	tag := s.inspector.liveTag(url.Values{})
	for _, step := range []struct {
		seq  uint64
		want map[uint64]string
	}{
		{4, map[uint64]string{3: OutcomeOK, 4: OutcomeDropped, 5: OutcomeOK}},
		{3, map[uint64]string{3: OutcomeDropped, 4: OutcomeDropped, 5: OutcomeOK}},
		{2, map[uint64]string{3: OutcomeDropped, 4: OutcomeDropped, 5: OutcomeOK}}, // overwritten
		{9, map[uint64]string{3: OutcomeDropped, 4: OutcomeDropped, 5: OutcomeOK}}, // not yet added
	} {
		j.dropped(step.seq)
		got := outcomes()
		for seq, want := range step.want {
			if got[seq] != want {
				t.Errorf("after dropped(%d): entry %d is %q, want %q", step.seq, seq, got[seq], want)
			}
		}
	}
	if s.inspector.liveTag(url.Values{}) == tag {
		t.Error("the inspector's live tag did not move when entries were amended")
	}
	j.reset()
	seq := add() // seq 6, alone
	j.dropped(5) // reset since
	j.dropped(seq)
	if got := outcomes(); len(got) != 1 || got[seq] != OutcomeDropped {
		t.Errorf("after a reset: %v, want entry %d alone, dropped", got, seq)
	}
	// Not full: the newest is at len-1.
	add()
	j.dropped(seq)
	if got := outcomes(); got[seq] != OutcomeDropped || got[seq+1] != OutcomeOK {
		t.Errorf("a journal not full: %v, want entry %d dropped and %d ok", got, seq, seq+1)
	}
}
