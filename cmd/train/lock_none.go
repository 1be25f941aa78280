//go:build !unix || solaris || aix

package main

// runLocks says that lockRun keeps runs apart on this system.
const runLocks = false

// lockRun does nothing where Go's syscall package has no flock(2)
// (Windows, Solaris, AIX, …): two runs in one directory are not kept apart
// there.
func lockRun(dir string, warn func(string)) (unlock func(), err error) { return func() {}, nil }
