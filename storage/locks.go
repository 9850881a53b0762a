package storage

// Postgres advisory lock keys. The high bytes spell "alkhub"; the low bytes
// number the lock.
const (
	lockMigrate   int64 = 0x616c6b6875620001
	lockRetention int64 = 0x616c6b6875620002
	lockReaper    int64 = 0x616c6b6875620003
	lockBootstrap int64 = 0x616c6b6875620004
)
