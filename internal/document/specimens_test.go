package document

import "time"

// Specimen MRZs from ICAO Doc 9303 (8th edition): the fictitious state
// Utopia and its citizens Anna Maria Eriksson and Peter John Stevenson.
const (
	// Part 4, appendix A: TD3 passport.
	specimenTD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n" +
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10"
	// Part 5, appendix A: TD1 card.
	specimenTD1 = "I<UTOD231458907<<<<<<<<<<<<<<<\n" +
		"7408122F1204159UTO<<<<<<<<<<<6\n" +
		"ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
	// Part 6, appendix A: TD2 card.
	specimenTD2 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\n" +
		"D231458907UTO7408122F1204159<<<<<<<6"
	// Part 11, appendix D.2: TD1 with a 12-character document number
	// continued in the optional data.
	specimenTD1Long = "I<UTOD23145890<7349<<<<<<<<<<<\n" +
		"3407127M9507122UTO<<<<<<<<<<<2\n" +
		"STEVENSON<<PETER<JOHN<<<<<<<<<"
	// Part 11, appendix D.2: the same in TD2.
	specimenTD2Long = "I<UTOSTEVENSON<<PETER<JOHN<<<<<<<<<<\n" +
		"D23145890<UTO3407127M95071227349<<<8"
	// Part 7, appendix A: MRV-A and MRV-B visas.
	specimenMRVA = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n" +
		"L8988901C4XXX4009078F96121096ZE184226B<<<<<<"
	specimenMRVB = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\n" +
		"L8988901C4XXX4009078F9612109<<<<<<<<"
)

// GB 11643-1999 gives 11010519491231002X (a woman born 31 December 1949 in
// Chaoyang district, Beijing) as its example.
const specimenIDNumber = "11010519491231002X"

// testNow is the reference time of the tests: late enough for every
// specimen's birth date, so that the century rules are exercised.
var testNow = time.Date(2026, time.March, 15, 12, 0, 0, 0, time.UTC)
