package config

import (
	"net/url"
	"slices"

	"github.com/hashicorp/hcl/v2"
)

// notifiers checks the notify blocks of a service.
func (c *checker) notifiers(r *rawService) []Notify {
	var out []Notify
	seen := map[string]hcl.Range{}
	for _, rn := range r.Notifies {
		if c.name("notify", rn.Name, rn.NameRange) {
			if first, dup := seen[rn.Name]; dup {
				c.add(errorf(rn.NameRange, "Duplicate notify",
					"Service %q already has a notify %q (first defined at %s). Rename or remove one of them.", r.Name, rn.Name, where(first)))
			} else {
				seen[rn.Name] = rn.NameRange
			}
		}
		out = append(out, c.notify(rn))
	}
	return out
}

func (c *checker) notify(r *rawNotify) Notify {
	n := Notify{Name: r.Name, Events: slices.Clone(NotifyEvents), Timeout: defaultNotifyTimeout}
	cmd, cmdState := c.command(r.Command, `["bin/notify"]`)
	n.Command = cmd
	hook, hookState := decode[string](c, r.Webhook)
	if hookState == valid && c.webhook(hook, r.Webhook.Range()) {
		n.Webhook = hook
	}
	plugin, pluginState := c.pluginRef(r.Plugin, PluginNotifier, "a notify block's plugin")
	n.Plugin = plugin
	n.PluginConfig = c.pluginConfig(r.Config, pluginState, "notify block")

	var targets []setting
	if cmdState != absent {
		targets = append(targets, setting{"a command", r.Command.Range()})
	}
	if hookState != absent {
		targets = append(targets, setting{"a webhook", r.Webhook.Range()})
	}
	if pluginState != absent {
		targets = append(targets, setting{"a plugin", r.Plugin.Range()})
	}
	if len(targets) == 0 {
		c.add(errorf(r.DefRange, "Missing notify target",
			"Notify %q needs a command that is given each event on stdin, such as command = [\"bin/notify\"], a webhook that is posted each event, such as webhook = \"https://chat.example.org/hooks/deploy\", or a plugin of kind \"notifier\", such as plugin = \"NAME\".", r.Name))
	} else {
		first, rest := firstSetting(targets)
		rule := "a notify block has either a command or a webhook"
		if pluginState != absent {
			rule = "a notify block has one target: a command, a webhook or a plugin"
		}
		for _, t := range rest {
			c.add(errorf(t.rng, "Conflicting notify targets",
				"Notify %q already has %s at %s; %s. Move this into a notify block of its own.", r.Name, first.what, where(first.rng), rule))
		}
	}

	if items, st := c.stringList(r.Events); st == valid {
		n.Events = c.events(items, r.Events.Range())
	}
	if d, st := c.duration(r.Timeout, defaultNotifyTimeout); st != invalid {
		n.Timeout = d
	}
	return n
}

// webhook reports whether s is an absolute http or https URL with a host.
func (c *checker) webhook(s string, rng hcl.Range) bool {
	u, err := url.Parse(s)
	ok := err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != ""
	if ok && u.Port() != "" {
		_, ok = parsePort(u.Port())
	}
	if !ok {
		c.add(errorf(rng, "Invalid webhook",
			"%q is not an absolute http or https URL. Write one such as \"https://chat.example.org/hooks/deploy\".", s))
	}
	return ok
}

// events checks the events a notifier subscribes to.
func (c *checker) events(items []item, rng hcl.Range) []string {
	if len(items) == 0 {
		c.add(errorf(rng, "No events",
			"List the events to be told about, such as events = [\"switch\", \"rollback\"], or remove events to be told about all of them."))
		return slices.Clone(NotifyEvents)
	}
	var out []string
	seen := map[string]hcl.Range{}
	for _, it := range items {
		if !slices.Contains(NotifyEvents, it.val) {
			c.add(errorf(it.rng, "Unknown event",
				"%q is not an event; the events are %s.", it.val, quoteAll(NotifyEvents)))
			continue
		}
		if first, dup := seen[it.val]; dup {
			c.add(errorf(it.rng, "Duplicate event",
				"%q is already listed at %s; remove one.", it.val, where(first)))
			continue
		}
		seen[it.val] = it.rng
		out = append(out, it.val)
	}
	return out
}
