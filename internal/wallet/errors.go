package wallet

import (
	"errors"
	"fmt"
)

// The errors of the wallet. Messages are written for the resident; test
// with errors.Is. Errors the server returned are *Problem values.
var (
	// ErrNoWallet: the directory holds no wallet (no wallet.json).
	ErrNoWallet = errors.New("no wallet in this directory; create one with netid wallet init")
	// ErrWalletExists: Create on a directory that already holds a wallet
	// or a device key.
	ErrWalletExists = errors.New("this directory already holds a wallet")
	// ErrInsecurePermissions: the wallet directory or one of its files is
	// accessible by group or others, or a file is a symbolic link.
	ErrInsecurePermissions = errors.New("the wallet is readable by other users")
	// ErrWalletFormat: wallet.json or device.key cannot be read: corrupt,
	// written by a newer netid, or inconsistent.
	ErrWalletFormat = errors.New("the wallet files are not valid")
	// ErrWalletBusy: another command holds the wallet's lock.
	ErrWalletBusy = errors.New("another netid wallet command is using this wallet; wait for it to finish")
	// ErrNotEnrolled: the wallet holds no internet number yet.
	ErrNotEnrolled = errors.New("this wallet is not enrolled yet; run netid wallet enrol")
	// ErrAlreadyEnrolled: Enrol on a wallet that holds an internet number.
	ErrAlreadyEnrolled = errors.New("this wallet is enrolled already: one wallet holds one internet number")
	// ErrOtherServer: the wallet belongs to another server than the one
	// given.
	ErrOtherServer = errors.New("this wallet belongs to another netid server")
	// ErrDeviceKeySuite: the server's CA cannot certify the wallet's
	// device key (an SM2 key and a CA of the intl suite).
	ErrDeviceKeySuite = errors.New("the server cannot certify this wallet's device key")
	// ErrEnrolmentLost: the server completed the wallet's enrolment but
	// the wallet never received the certificate (interrupted at the last
	// step). The internet number exists; the wallet cannot recover it.
	ErrEnrolmentLost = errors.New("the server completed this enrolment but the wallet did not receive its certificate")
	// ErrCertificate: the certificate the server issued does not verify,
	// or is not for this wallet's device key, or its openings or
	// dynamic-code parameters are unusable.
	ErrCertificate = errors.New("the certificate the server issued could not be verified")
	// ErrUpgradeNotSaved: the server upgraded the account but the wallet
	// could not record it. Running the upgrade again records it: the
	// server answers the same for a document it has already.
	ErrUpgradeNotSaved = errors.New("the account was upgraded, but the wallet could not record it; run the upgrade again")
	// ErrResponse: the server's answer is not what the API promises
	// (wrong content type, malformed JSON, too large).
	ErrResponse = errors.New("the server's answer could not be understood")
	// ErrInputNeeded is matched by an *InputNeededError.
	ErrInputNeeded = errors.New("the enrolment needs more input")
)

// Input names what Enrol needs and was not given.
type Input string

// The inputs Enrol may stop for.
const (
	InputEvidence Input = "evidence" // a document: chip dump and printed MRZ, or authority evidence
	InputPassword Input = "password" // the password to set
	InputPhone    Input = "phone"    // the phone number to confirm
	InputCode     Input = "code"     // the one-time code sent to the phone
	InputFace     Input = "face"     // the face image
	InputLiveness Input = "liveness" // a liveness attestation for Challenge
)

// InputNeededError stops Enrol when it needs something it was not given.
// The enrolment is saved in the wallet: call Enrol again with the input
// and it continues where it stopped. It matches ErrInputNeeded.
type InputNeededError struct {
	Input Input
	// SentTo is, for InputCode, where the code went (redacted by the
	// server).
	SentTo string
	// Challenge is, for InputLiveness, the nonce the attestation must
	// carry. The wallet keeps it, so the next run uses the same one.
	Challenge string
	// Reason says why the given input was not usable, if one was given.
	Reason string
	// For names what a document, password, face or attestation is needed
	// for when it is not the enrolment ("the upgrade", "the approval"), for
	// the message.
	For string
}

func (e *InputNeededError) Error() string {
	var msg string
	switch e.Input {
	case InputEvidence:
		msg = "a document is needed to start an enrolment"
		if e.For != "" {
			msg = "a document is needed for " + e.For
		}
	case InputPassword:
		msg = "a password is needed to finish the enrolment"
		if e.For != "" {
			msg = "your password is needed for " + e.For
		}
	case InputPhone:
		msg = "a mobile phone number is needed for this enrolment"
	case InputCode:
		msg = "enter the code sent to your phone"
		if e.SentTo != "" {
			msg = fmt.Sprintf("enter the code sent to %s", e.SentTo)
		}
	case InputFace:
		msg = "a photo of your face is needed"
		if e.For != "" {
			msg += " for " + e.For
		}
	case InputLiveness:
		msg = fmt.Sprintf("a liveness attestation for the face challenge %q is needed", e.Challenge)
		if e.For != "" {
			msg += " for " + e.For
		}
	default:
		msg = fmt.Sprintf("%s is needed", e.Input)
	}
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	return msg
}

// Is makes an InputNeededError match ErrInputNeeded.
func (e *InputNeededError) Is(target error) bool { return target == ErrInputNeeded }

// errorf returns an error wrapping base with a formatted explanation.
func errorf(base error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", base, fmt.Sprintf(format, args...))
}
