package manage

// LocalClock is the appliance's own clock status, what master offsets are
// relative to, as the kernel reports it (adjtimex): whether something
// (NTP, chrony, phc2sys) keeps it synchronised and its estimated and
// maximum error.
type LocalClock struct {
	Synchronized bool   `json:"synchronized"` // STA_UNSYNC clear
	MaxErrorUs   int64  `json:"maxErrorUs"`   // kernel maxerror
	EstErrorUs   int64  `json:"estErrorUs"`   // kernel esterror
	Status       uint32 `json:"status"`       // the adjtimex status bits
	State        string `json:"state"`        // TIME_OK, TIME_ERROR, ...
	Error        string `json:"error,omitempty"`
	// PTP4L and Chrony are what a ptp4l and chronyd on the appliance say,
	// where they run (nil otherwise).
	PTP4L  *LocalPTP4L  `json:"ptp4l,omitempty"`
	Chrony *LocalChrony `json:"chrony,omitempty"`
}
