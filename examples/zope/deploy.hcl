# A Plone site on ZEO, deployed blue/green by deploy: the shape of the
# sites this tool was made for. One ZEO server (main + session storages),
# run by deploy itself and packed weekly; a public service with two Zope
# instances per slot behind the proxy, a preview host for the idle slot,
# and Zope's VirtualHostMonster rewriting in the proxy (what the apache
# RewriteRule in front of Zope used to do).
#
# Check it with: deploy validate --config examples/zope/deploy.hcl

controller {
  state_dir = "/var/lib/deploy/plone"   # state, releases, each slot's var/ and logs
  keep_releases = 5
}

proxy {
  listen          = ["0.0.0.0:80"]
  trusted_proxies = ["127.0.0.1"]       # a TLS terminator on this host
}

# The shared database. Every instance of every slot connects to it; it
# outlives every stack. Remove the managed block when ZEO runs elsewhere
# (zdaemon, systemd): deploy then only probes it.
zeo "main" {
  address  = "127.0.0.1:8100"
  storages = ["main", "session"]
  managed {
    # The ZEO server from the site's buildout; deploy renders zeo.conf
    # (address, one filestorage per storage under its state dir, eventlog)
    # and passes its path in $ZEO_CONF.
    command = ["/srv/plone/current/bin/runzeo", "-C", "/var/lib/deploy/plone/zeo/main/zeo.conf"]
    dir     = "/srv/plone/current"
    transaction_timeout = "300s"
    pack {
      # Once per storage, with $STORAGE and $DAYS set.
      command  = ["sh", "-c", "bin/zeopack -h 127.0.0.1 -p 8100 -S $STORAGE -d $DAYS"]
      schedule = "weekly"
      days     = 7
    }
  }
}

service "www" {
  hosts         = ["www.example.org", "example.org"]
  instances     = 2                     # Zope processes per slot
  drain_timeout = "60s"

  slot "blue"  { base_port = 8081 }     # 8081-8082
  slot "green" { base_port = 8091 }     # 8091-8092

  zeo    = "main"
  driver = "zope"   # deploy writes each instance's zope.conf and wsgi.ini and runs bin/runwsgi
  zope {
    mount "main" {
      path = "/"
    }
    mount "session" {
      path = "/session_folder"
    }
    cache_size   = "256MB"    # ZEO client cache per instance and mount, never shared
    object_cache = 30000      # <zodb_db> cache-size
    blob_dir     = "blobs"    # per instance, under its own var dir
    threads      = 4
  }

  # /news on www.example.org reaches Zope as
  # /VirtualHostBase/http/www.example.org:80/Plone/VirtualHostRoot/news
  virtual_host {
    root = "/Plone"
  }

  stack {
    # Without a release: the buildout as it is. With deploy release, each
    # release is unpacked into its own directory and relocated there.
    dir = "/srv/plone/current"
    ready {
      path    = "/Plone/ok"   # answers once the instance reached its database
      timeout = "180s"
    }
    grace = "30s"
  }

  # The idle slot, on live data, before any visitor sees it.
  preview {
    hosts = ["preview.example.org"]
  }

  check "database" {
    zeo {}                     # the ZEO server serves main and session
  }
  check "front-page" {
    http {
      path          = "/"
      status        = [200]
      body_contains = "Plone"
      max_latency   = "5s"
    }
    timeout = "10s"
    retries = 2
  }

  warm_up {                    # a fresh Zope has a cold object cache
    urls   = ["/", "/news", "/events"]
    rounds = 3
  }
  watch = "5m"
  rollback_when {
    error_rate   = 0.02
    min_requests = 50
  }

  maintenance {
    retry_after = "10m"
  }
  migrate {                    # for releases built with --needs-migration
    # $ZOPE_CONF is the zope.conf deploy wrote for the new slot's first instance.
    command = ["sh", "-c", "bin/zconsole run $ZOPE_CONF scripts/upgrade.py"]
    timeout = "2h"
  }

  notify "ops" {
    webhook = "https://chat.example.org/hooks/deploy"
    events  = ["rollback", "release_failed"]
  }
}
