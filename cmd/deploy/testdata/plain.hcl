# A configuration without an access log, for the ops commands' tests.
controller {
  state_dir = "/var/lib/deploy"
}

service "demo" {
  hosts     = ["demo.test"]
  instances = 1
  slot "blue"  { base_port = 19401 }
  slot "green" { base_port = 19402 }
  stack {
    command = ["/bin/true"]
  }
}
