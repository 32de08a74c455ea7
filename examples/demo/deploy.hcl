# The demo: one service, two slots of two instances each, running the small
# demo application (examples/demo/app) built into ../../bin/demo-app.

controller {
  state_dir = ".deploy"   # relative to this file
}

proxy {
  listen = ["127.0.0.1:8080"]
}

service "demo" {
  hosts         = ["demo.localhost"]
  default       = true   # also answer http://127.0.0.1:8080/ whatever the Host
  instances     = 2
  drain_timeout = "30s"

  slot "blue"  { base_port = 9101 }
  slot "green" { base_port = 9201 }

  stack {
    dir     = "."
    command = ["../../bin/demo-app"]
    ready {
      path    = "/healthz"
      timeout = "20s"
    }
  }
}
