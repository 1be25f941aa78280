//go:build unix && !solaris && !aix

package main

// The run directory's lock: one process at a time trains in a run
// directory. Two runs started together with the same -out, or a -resume of
// a run that is still going, would otherwise both pass the checks of an
// idle directory and then overwrite each other's checkpoints and
// results.json. The lock is flock(2) on the file .lock in the directory,
// held until the process exits (the kernel lets go of it even when the
// process is killed), so a stale lock cannot outlive its run. The file
// itself stays, holding the process ID of the last run for the message.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// runLocks says that lockRun keeps runs apart on this system.
const runLocks = true

// lockRun takes the lock of the run directory dir and returns the function
// that releases it. A lock held by another process is a usage error naming
// that process. Where the file system has no locks (some network and FUSE
// file systems), the run goes on unlocked after a warning.
func lockRun(dir string, warn func(string)) (unlock func(), err error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking the run directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := "another process"
			if b, rerr := os.ReadFile(path); rerr == nil {
				if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
					holder = fmt.Sprintf("process %d", pid)
				}
			}
			return nil, usagef("%s is in use by another run (%s); wait for it to finish, or choose another -out", dir, holder)
		}
		if errors.Is(err, syscall.ENOLCK) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.ENOSYS) {
			warn(fmt.Sprintf("%s: the file system takes no locks (%v), so nothing keeps another run out of this directory", dir, err))
			return func() {}, nil
		}
		return nil, fmt.Errorf("locking the run directory %s: %w", dir, err)
	}
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "%d\n", os.Getpid())
	}
	return func() { f.Close() }, nil
}
