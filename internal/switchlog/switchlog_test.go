package switchlog

import (
	"testing"
	"time"
)

func TestLog_LiveDuringFollowsTheWindows(t *testing.T) {
	var l Log
	l.Begin("blue")
	t0 := time.Now()
	time.Sleep(2 * time.Millisecond)
	l.Begin("green")
	l.End()
	t1 := time.Now()
	time.Sleep(2 * time.Millisecond)
	t2 := time.Now()

	if !l.LiveDuring("blue", t0, t0) {
		t.Error("blue was live at the start")
	}
	if l.LiveDuring("blue", t2, t2) {
		t.Error("blue was not live after the switch to green returned")
	}
	if !l.LiveDuring("green", t1, t2) {
		t.Error("green is live after the switch")
	}
	if l.LiveDuring("purple", t0, t2) {
		t.Error("purple was never live")
	}
}
