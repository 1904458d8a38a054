// Package uitest holds the browser tests of the web UI: ui_test.go builds
// ptpwatch, runs it with --demo and drives Debian's chromium through
// playwright-core (ui.test.mjs) against it, saving a screenshot of every
// page under artifacts/; ui.a11y.test.mjs runs axe-core (@axe-core/playwright)
// on every page in both themes and drives the UI by keyboard.
//
// Set-up, done by the test when it can: `apt-get install -y chromium` (as
// root) and `npm ci` here (playwright-core and @axe-core/playwright into node_modules). The test
// skips, saying why, only when chromium or npm cannot be had.
package uitest
