# The configuration of the ops commands' tests (systemd-unit, logrotate,
# completion). Nothing is started from it.
controller {
  state_dir = "/var/lib/deploy"
}

proxy {
  listen = ["127.0.0.1:18080"]
  access_log {
    path = "/var/log/deploy/access.log"
  }
}

zeo "main" {
  address = "127.0.0.1:18100"
}

service "demo" {
  hosts     = ["demo.test"]
  instances = 2
  slot "blue"  { base_port = 19101 }
  slot "green" { base_port = 19201 }
  stack {
    command = ["/bin/true"]
    ready {
      path    = "/healthz"
      timeout = "20s"
    }
  }
}

service "shop" {
  hosts     = ["shop.test"]
  instances = 1
  slot "a" { base_port = 19301 }
  slot "b" { base_port = 19302 }
  slot "c" { base_port = 19303 }
  stack {
    command = ["/bin/true"]
    ready {
      path    = "/healthz"
      timeout = "1m"
    }
  }
}
