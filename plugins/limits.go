package plugins

import "time"

// Defaults and the limits the host holds every plugin answer to. A plugin is
// somebody else's program: these bound how much memory, disk and log it can
// make the daemon spend, whatever it sends.
const (
	// defaultTimeout bounds one call when Spec.Timeout is zero, and the
	// launch of a plugin process.
	defaultTimeout = 30 * time.Second

	// exitWait is how long a call that lost its connection waits for the
	// process to be seen exiting, so that a crash is reported as a crash
	// (with its exit status) rather than as a broken connection.
	exitWait = 2 * time.Second

	maxFileBytes   = 8 << 20  // one rendered file
	maxRenderBytes = 64 << 20 // all files of one Render
	maxFiles       = 10000    // files of one Render

	// maxAnswerBytes is the largest gRPC message the host accepts. It is a
	// little above maxRenderBytes so that a Render at the limit still
	// arrives (and is judged by the clearer file limits), while anything
	// bigger fails in gRPC before it is held in memory twice.
	maxAnswerBytes = 80 << 20

	// maxRequestBytes is the largest request a plugin accepts from the host
	// (settings and events); the host is trusted, this only guards mistakes.
	maxRequestBytes = 64 << 20

	maxTextBytes    = 64 << 10 // a message, a detail, an error, an argument
	maxDetails      = 1000     // entries in CheckResult.Details
	maxArgs         = 10000    // argv entries and env entries of one Command
	maxAttributes   = 1000     // attributes in a Schema
	maxNameBytes    = 256      // attribute names
	maxLogLineBytes = 64 << 10 // one line of plugin output in the host's log
)
