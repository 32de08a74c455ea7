// Command deploy is the blue/green deployment controller and its CLI.
package main

import "os"

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}
