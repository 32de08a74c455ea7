package stacks

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
)

func TestReadStartTime_IsStableAndFailsForAMissingProcess(t *testing.T) {
	a, err := ReadStartTime(os.Getpid())
	if err != nil || a == 0 {
		t.Fatalf("ReadStartTime(self) = %d, %v", a, err)
	}
	if b, _ := ReadStartTime(os.Getpid()); b != a {
		t.Errorf("start time changed from %d to %d", a, b)
	}
	if _, err := ReadStartTime(1 << 30); err == nil {
		t.Error("no error for a pid that cannot exist")
	}
}

func TestReadStat_CopesWithParenthesesAndSpacesInTheCommandName(t *testing.T) {
	dir := t.TempDir()
	odd := dir + "/a) b ("
	if err := os.Symlink("/bin/sleep", odd); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(odd, "30")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot run sleep: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	st, err := readStat(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if st.ppid != os.Getpid() || st.pgrp != syscall.Getpgrp() || st.startTime == 0 {
		t.Errorf("readStat = %+v, want our child in our group", st)
	}
}

func TestDescribeWait_WordsExitsLikeTheStandardLibrary(t *testing.T) {
	for _, tc := range []struct {
		ws   syscall.WaitStatus
		want string
	}{
		{syscall.WaitStatus(1 << 8), "exit status 1"},
		{syscall.WaitStatus(syscall.SIGKILL), "signal: killed"},
		{syscall.WaitStatus(syscall.SIGSEGV | 0x80), "signal: segmentation fault (core dumped)"},
	} {
		if got := describeWait(tc.ws); got != tc.want {
			t.Errorf("describeWait(%#x) = %q, want %q", uint32(tc.ws), got, tc.want)
		}
	}
}
