package config

import (
	"net/netip"

	"github.com/hashicorp/hcl/v2"
)

// loopback is who may PURGE when a cache block names nobody: the controller's
// own host, as squid's default "acl purge src localhost" had it.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

func (c *checker) cache(raws []*rawCache) *Cache {
	once(c, "cache", raws, func(r *rawCache) hcl.Range { return r.DefRange })
	var out *Cache
	for i, r := range raws {
		if k := c.cacheBlock(r); i == 0 {
			out = k
		}
	}
	return out
}

func (c *checker) cacheBlock(r *rawCache) *Cache {
	k := &Cache{MaxSize: c.size(r.MaxSize, defaultCacheMaxSize), PurgeFrom: loopback}
	if d, st := c.durationOrOff(r.DefaultTTL, 0, "storing only responses that state their lifetime"); st != invalid {
		k.DefaultTTL = d
	}
	if items, st := c.stringList(r.PurgeFrom); st == valid {
		k.PurgeFrom = c.trustedProxies(items)
	}
	return k
}
