package storetest

import (
	"context"
	"testing"

	"github.com/netid/netid/internal/store/sqlstore"
)

// Engine is one storage engine under test.
type Engine struct {
	// Open returns a Store on a new, empty database that nothing else
	// uses, not yet migrated, built with opts. It registers the cleanup
	// (Close, removing the database) with tb.
	Open func(tb testing.TB, opts ...sqlstore.Option) *sqlstore.Store
	// Retryable returns an error produced by the engine's own driver that
	// the engine's dialect classifies as a transient conflict
	// (SQLITE_BUSY, SQLSTATE 40001). TxRetry returns it from a
	// transaction to check that InTx really reruns the transaction.
	Retryable func(tb testing.TB) error
}

// test is one named conformance test.
type test struct {
	name string
	run  func(t *testing.T, e Engine)
}

// Run runs the conformance suite: every behaviour that domain packages rely
// on, each subtest on a fresh database. Adding an aggregate means adding its
// subtests here (one file per aggregate), and the engines pick them up.
func Run(t *testing.T, e Engine) {
	t.Helper()
	tests := []test{
		{"Engine", testEngine},
		{"Migrations", testMigrations},
		{"MigrationFailure", testMigrationFailure},
		{"TxRollback", testTxRollback},
		{"TxNested", testTxNested},
		{"TxRetry", testTxRetry},
		{"TxPanic", testTxPanic},
		{"DataKeyCRUD", testDataKeyCRUD},
		{"DataKeyValidation", testDataKeyValidation},
		{"DataKeyRewrap", testDataKeyRewrap},
		{"DataKeyPagination", testDataKeyPagination},
		{"DataKeyCounts", testDataKeyCounts},
		{"DataKeyRewrapBatches", testDataKeyRewrapBatches},
		{"ThrottleWindow", testThrottleWindow},
		{"ThrottleResetPrune", testThrottleResetPrune},
		{"ThrottleInTx", testThrottleInTx},
		{"ThrottleCount", testThrottleCount},
		{"CertificateCRUD", testCertificateCRUD},
		{"CertificateValidation", testCertificateValidation},
		{"CertificateRevoke", testCertificateRevoke},
		{"CertificateInTx", testCertificateInTx},
		{"CACertificates", testCACertificates},
		{"CRLNumbers", testCRLNumbers},
		{"PhoneChallengeCRUD", testPhoneChallengeCRUD},
		{"PhoneChallengeValidation", testPhoneChallengeValidation},
		{"PhoneChallengeUpdate", testPhoneChallengeUpdate},
		{"PhoneChallengeDeletePrune", testPhoneChallengeDeletePrune},
		{"PhoneChallengeInTx", testPhoneChallengeInTx},
		{"PhoneVerifier", testPhoneVerifier},
		{"EnrolmentCRUD", testEnrolmentCRUD},
		{"EnrolmentExpiry", testEnrolmentExpiry},
		{"ResidentCRUD", testResidentCRUD},
		{"ResidentIdentity", testResidentIdentity},
		{"IdentityAnchorUnique", testIdentityAnchorUnique},
		{"InternetNumbers", testInternetNumbers},
		{"GuardianLinks", testGuardianLinks},
		{"Registrars", testRegistrars},
		{"DynamicCodeSteps", testDynamicCodeSteps},
		{"AuthMethodLocks", testAuthMethodLocks},
		{"AuthMethodsInTx", testAuthMethodsInTx},
		{"DeleteAuthMethodState", testDeleteAuthMethodState},
		{"ResidentSessions", testResidentSessions},
		{"ResidentChallenges", testResidentChallenges},
		{"ResidentErasure", testResidentErasure},
		{"RPCRUD", testRPCRUD},
		{"LoginSessions", testLoginSessions},
		{"Interactions", testInteractions},
		{"RememberedConsents", testRememberedConsents},
		{"GrantsAndTokens", testGrantsAndTokens},
		{"LiveGrantClients", testLiveGrantClients},
		{"PinPairwiseKey", testPinPairwiseKey},
		{"Disclosures", testDisclosures},
		{"PruneOIDC", testPruneOIDC},
		{"ApprovalCRUD", testApprovalCRUD},
		{"ApprovalUpdate", testApprovalUpdate},
		{"ApprovalDeletePrune", testApprovalDeletePrune},
		{"TranslogState", testTranslogState},
		{"TranslogLeaves", testTranslogLeaves},
		{"TranslogConflicts", testTranslogConflicts},
		{"TranslogCheckpoints", testTranslogCheckpoints},
		{"TranslogLog", testTranslogLog},
		{"AdminTokens", testAdminTokens},
		{"AdminAudit", testAdminAudit},
		{"AdminStats", testAdminStats},
		{"SeedResidents", testSeedResidents},
		{"SeedConflicts", testSeedConflicts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, e) })
	}
}

// RunConcurrency runs the tests that hammer one database from many
// goroutines: they check atomicity and the retry of transient conflicts,
// which only real contention on a real engine exercises.
func RunConcurrency(t *testing.T, e Engine) {
	t.Helper()
	tests := []test{
		{"ConcurrentPutDataKey", testConcurrentPutDataKey},
		{"ConcurrentThrottleHit", testConcurrentThrottleHit},
		{"ConcurrentThrottleHitInTx", testConcurrentThrottleHitInTx},
		{"ConcurrentNextCRLNumber", testConcurrentNextCRLNumber},
		{"ConcurrentRevokeCertificate", testConcurrentRevokeCertificate},
		{"ConcurrentPutCACertificate", testConcurrentPutCACertificate},
		{"ConcurrentCreatePhoneChallenge", testConcurrentCreatePhoneChallenge},
		{"ConcurrentPhoneChallengeCAS", testConcurrentPhoneChallengeCAS},
		{"ConcurrentPhoneChallengeUpdateInTx", testConcurrentPhoneChallengeUpdateInTx},
		{"ConcurrentPhoneVerify", testConcurrentPhoneVerify},
		{"ConcurrentEnrolment", testConcurrentEnrolment},
		{"ConcurrentEnrolmentUpdate", testConcurrentEnrolmentUpdate},
		{"ConcurrentUseDynamicCodeStep", testConcurrentUseDynamicCodeStep},
		{"ConcurrentUseResidentChallenge", testConcurrentUseResidentChallenge},
		{"ConcurrentUseGrantCode", testConcurrentUseGrantCode},
		{"ConcurrentUseToken", testConcurrentUseToken},
		{"ConcurrentTranslogAppend", testConcurrentTranslogAppend},
		{"ConcurrentTranslogAppendNoRetry", testConcurrentTranslogAppendNoRetry},
		{"ConcurrentTranslogCheckpoint", testConcurrentTranslogCheckpoint},
		{"ConcurrentMigrate", testConcurrentMigrate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, e) })
	}
}

// open returns a migrated store.
func open(tb testing.TB, e Engine, opts ...sqlstore.Option) *sqlstore.Store {
	tb.Helper()
	s := e.Open(tb, opts...)
	if _, err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate() error = %v", err)
	}
	return s
}
