# The demo: one service, two slots of two instances each, running the small
# demo application (examples/demo/app). "make demo" copies its binary into
# build/bin/, the build directory a release is made from.

controller {
  state_dir = ".deploy"   # relative to this file
}

proxy {
  listen = ["127.0.0.1:8080"]
  # HTTPS too, with certificates from a CA the controller generates in
  # .deploy/tls/local-ca/ (its root is root.crt there). local_ca is for
  # development and demos only: a production site names an ACME CA, such as
  #   acme { email = "ops@example.org" }   # Let's Encrypt by default
  https_listen = ["127.0.0.1:8443"]
  local_ca     = true
}

service "demo" {
  hosts         = ["demo.localhost"]
  default       = true   # also answer http://127.0.0.1:8080/ whatever the Host
  instances     = 2
  drain_timeout = "30s"

  slot "blue"  { base_port = 9101 }
  slot "green" { base_port = 9201 }

  stack {
    dir     = "build"            # without a release: run the build directory as it is
    command = ["bin/demo-app"]   # inside the unpacked release when there is one
    ready {
      path    = "/healthz"
      timeout = "20s"
    }
  }

  # The slot that is not live answers http://preview.demo.localhost:8080/.
  preview {
    hosts = ["preview.demo.localhost"]
  }

  # The proxy keeps what the application marks cacheable (/static/ here),
  # apart for every release: a switch never serves the old release's files.
  cache {
    max_size = "64MB"
  }

  # A switch and a release go ahead only when these pass on every instance
  # and through the preview route.
  check "home" {
    http {
      path          = "/"
      body_contains = "service=demo"
    }
  }
  check "port" {
    tcp {}
  }

  # After a release's switch: watch the new slot for 5s, roll back by itself
  # when more than 2% of its answers are errors.
  watch = "5s"
  rollback_when {
    error_rate   = 0.02
    min_requests = 20
  }
}
