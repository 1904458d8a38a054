// Package bench measures ptpwatch against peers in the same run. It is a
// separate module so that the peers it compares with (facebook/time's PTP
// codec) never become dependencies of ptpwatch itself.
//
// Run it with `make bench`; results are reported per operation, and the
// README's table gives each as a ratio to the peer measured beside it.
package bench
