package config

import (
	"reflect"
)

// field returns the value of SECTION:KEY in c, found by the TOML tags.
func field(c *Config, section, key string) reflect.Value {
	v := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		if v.Type().Field(i).Tag.Get("toml") != section {
			continue
		}
		sec := v.Field(i)
		for j := range sec.NumField() {
			if sec.Type().Field(j).Tag.Get("toml") == key {
				return sec.Field(j)
			}
		}
	}
	return reflect.Value{}
}

// Changes compares the running configuration with a newly read one and
// lists, as SECTION.KEY, the settings that differ: those SIGHUP applies
// (reload) and those that need a restart (restart).
func Changes(running, next Config) (reload, restart []string) {
	for _, s := range settings {
		a, b := field(&running, s.section, s.key), field(&next, s.section, s.key)
		if !a.IsValid() || reflect.DeepEqual(a.Interface(), b.Interface()) {
			continue
		}
		if s.reload {
			reload = append(reload, s.section+"."+s.key)
		} else {
			restart = append(restart, s.section+"."+s.key)
		}
	}
	return reload, restart
}

// Reloaded is the configuration a SIGHUP leaves running: running with the
// reloadable settings taken from next, the others kept until a restart.
func Reloaded(running, next Config) Config {
	for _, s := range settings {
		if s.reload {
			field(&running, s.section, s.key).Set(field(&next, s.section, s.key))
		}
	}
	return running
}
