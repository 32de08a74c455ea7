// Package zeo probes a ZEO server over its own protocol, as ZODB's zeoup.py
// did: connect, read the greeting, register a storage read-only and ask for
// its last transaction.
//
// An HTTP check of Zope proves nothing about ZEO: a Zope instance keeps
// answering 200 from its caches after its ZEO server has gone away (only its
// writes hang). So before a slot's stack starts, the orchestrator asks ZEO
// itself.
//
// ZEO 5 and later speak two encodings over the same framing: "Z5" (pickle
// protocol 3) and "M5" (msgpack, with `msgpack true` in the server's <zeo>
// section). Both are decoded with well-kept libraries (og-rek for pickles,
// vmihailenco/msgpack for msgpack) into one small value model, so the probe
// and the test server in zeotest do not care which one the server chose.
// The wire captures in testdata/wire, taken from a real ZEO 6 server, are the
// ground truth the tests hold this package to.
package zeo
