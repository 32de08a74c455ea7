// Command deploy-plugin-driver-exec is a stack driver for any application
// that is started by one command and listens on the port it is given: a
// WSGI server, a Node or Go program. deploy launches it through go-plugin;
// it is not meant to be run by hand.
package main

import "deploy/plugins"

func main() {
	plugins.Serve(&driver{})
}
