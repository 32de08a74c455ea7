package config

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// How instances are supervised: when a crashing instance is given up on, and
// how its output log is rotated.

func (c *checker) crashLoop(raws []*rawCrashLoop) CrashLoop {
	once(c, "crash_loop", raws, func(r *rawCrashLoop) hcl.Range { return r.DefRange })
	out := CrashLoop{MaxExits: defaultCrashMaxExits, Within: defaultCrashWithin}
	// Every block is checked so that removing a duplicate reveals no new
	// errors; the first one counts.
	for i, r := range raws {
		cl := CrashLoop{
			MaxExits: c.count(r.MaxExits, "max_exits", defaultCrashMaxExits, 1, maxCrashExits, ""),
			Within:   defaultCrashWithin,
		}
		if d, st := c.duration(r.Within, defaultCrashWithin); st != invalid {
			cl.Within = d
		}
		if i == 0 {
			out = cl
		}
	}
	return out
}

func (c *checker) logRotation(raws []*rawLog) LogRotation {
	once(c, "log", raws, func(r *rawLog) hcl.Range { return r.DefRange })
	out := LogRotation{MaxSize: defaultLogMaxSize, Keep: defaultLogKeep}
	for i, r := range raws {
		lr := LogRotation{
			MaxSize: c.size(r.MaxSize, defaultLogMaxSize),
			Keep:    c.count(r.Keep, "keep", defaultLogKeep, 1, maxLogKeep, ""),
		}
		if i == 0 {
			out = lr
		}
	}
	return out
}

// sizeRe matches a size: a whole number and an optional unit.
var sizeRe = regexp.MustCompile(`^([0-9]+) ?([A-Za-z]*)$`)

// sizeUnits are binary whatever their spelling: "KB" means 1024 bytes, as it
// does in logrotate and in most operators' heads, and "KiB" is accepted for
// those who write it. Units are case-insensitive.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
}

// size decodes a positive size in bytes, written as a number of bytes or as
// a string such as "512KB", "10MB" or "1GiB". It returns def when the size is
// absent or wrong.
func (c *checker) size(expr hcl.Expression, def int64) int64 {
	// A number converts to its decimal string, so 1048576 and "1048576" are
	// read alike.
	s, st := decode[string](c, expr)
	if st != valid {
		return def
	}
	m := sizeRe.FindStringSubmatch(s)
	unit, known := int64(0), false
	if m != nil {
		unit, known = sizeUnits[strings.ToLower(m[2])]
	}
	if !known {
		c.add(errorf(expr.Range(), "Invalid size",
			"%q is not a size. Write a whole number of bytes, or one with a unit, such as \"512KB\", \"10MB\" or \"1GB\" (units are binary: KB and KiB both mean 1024 bytes).", s))
		return def
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	switch {
	case err != nil || n > math.MaxInt64/unit:
		c.add(errorf(expr.Range(), "Invalid size",
			"%q is too large; write a size below 8 EiB, such as \"1GB\".", s))
		return def
	case n == 0:
		c.add(errorf(expr.Range(), "Invalid size",
			"The size must be greater than zero, such as \"10MB\"."))
		return def
	}
	return n * unit
}
