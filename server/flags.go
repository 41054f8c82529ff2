package server

import "github.com/spf13/pflag"

func addJenkinsServiceFlags(fs *pflag.FlagSet, maxJenkinsServices *int) {
	fs.IntVar(maxJenkinsServices, "max-jenkinsservices", *maxJenkinsServices, ""+
		"The most JenkinsServices the JenkinsService admission plugin admits in the whole system; 0 means unlimited.")
}
