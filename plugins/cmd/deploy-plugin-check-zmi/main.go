// Command deploy-plugin-check-zmi is a check that logs into a Zope
// management page with configured credentials and asserts that it renders:
// proof that an instance reached its database and that the admin login
// works. deploy launches it through go-plugin; it is not meant to be run by
// hand.
package main

import "deploy/plugins"

func main() {
	plugins.Serve(&zmiCheck{})
}
