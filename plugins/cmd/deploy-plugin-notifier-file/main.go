// Command deploy-plugin-notifier-file is a notifier that appends every event,
// as one JSON line, to a file and/or posts it to a URL. deploy launches it
// through go-plugin; it is not meant to be run by hand.
package main

import "deploy/plugins"

func main() {
	plugins.Serve(&fileNotifier{})
}
