package config

import (
	"fmt"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/robfig/cron/v3"
)

// dailyRe is the schedule the seeds' crontabs said in words: "daily 04:30".
var dailyRe = regexp.MustCompile(`^daily ([01]?[0-9]|2[0-3]):([0-5][0-9])$`)

// scheduleParser reads what crontab reads (five fields) and cron's
// descriptors (@daily, @every 6h), with an optional CRON_TZ= prefix.
var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule reads a restart schedule: "daily HH:MM" in the controller's
// local time, a crontab line such as "30 4 * * 1-5", or a descriptor such as
// "@every 6h".
func ParseSchedule(s string) (cron.Schedule, error) {
	if m := dailyRe.FindStringSubmatch(s); m != nil {
		s = m[2] + " " + m[1] + " * * *"
	}
	return scheduleParser.Parse(s)
}

func (c *checker) restart(raws []*rawRestart) *Restart {
	once(c, "restart", raws, func(r *rawRestart) hcl.Range { return r.DefRange })
	var out *Restart
	for i, r := range raws {
		if rs := c.restartBlock(r); i == 0 {
			out = rs
		}
	}
	return out
}

func (c *checker) restartBlock(r *rawRestart) *Restart {
	spec, st := decode[string](c, r.Schedule)
	switch st {
	case absent:
		c.add(errorf(r.DefRange, "Missing schedule",
			"A restart block says when the live slot is restarted, such as schedule = \"daily 04:30\"."))
		return nil
	case invalid:
		return nil
	}
	if _, err := ParseSchedule(spec); err != nil {
		c.add(errorf(r.Schedule.Range(), "Invalid schedule",
			"%q is not a schedule (%s). Write \"daily 04:30\", a crontab line such as \"30 4 * * 1-5\", or \"@every 6h\".", spec, fmt.Sprint(err)))
		return nil
	}
	return &Restart{Schedule: spec}
}
