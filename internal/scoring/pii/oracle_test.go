package pii

import "testing"

// ibanOracleCases are random IBANs (two per country, each with a copy that has one
// BBAN character changed), generated and labelled by an independent oracle: a
// Python 3.11 script computing 98 - int(BBAN+country+"00") mod 97 for the check
// digits and int(rearranged) mod 97 == 1 for validity, with Python's big integers.
var ibanOracleCases = []struct {
	iban  string
	valid bool
}{
	{"DE0344739BNL57185J9E85", true},
	{"DE0344739TNL57185J9E85", false},
	{"DE177798R16S78L9V8V69D", true},
	{"DE177798R16S28L9V8V69D", false},
	{"GB122Q7BK039752379W156", true},
	{"GB122Q7BK039752379W126", false},
	{"GB0756133498315F2B7228", true},
	{"GB0756133498315F2B7258", false},
	{"FR856367T848N700RJ134V85122", true},
	{"FR856367T848N700RJ134V85622", false},
	{"FR34W04151899F6K01849P9L4K4", true},
	{"FR34W04151899F6K01849D9L4K4", false},
	{"NL69K7273358FQ5196", true},
	{"NL69Q7273358FQ5196", false},
	{"NL448831O10906P488", true},
	{"NL449831O10906P488", false},
	{"NO62QN95657Y05L", true},
	{"NO62JN95657Y05L", false},
	{"NO152UZ85457118", true},
	{"NO152UZ15457118", false},
	{"MT295008188878V4IX2AF965868757X", true},
	{"MT295003188878V4IX2AF965868757X", false},
	{"MT5232001656873TK137AI21H5575T1", true},
	{"MT5232001656973TK137AI21H5575T1", false},
	{"LC43C58210K1447E84150E51ZL55262M", true},
	{"LC43C58210K1447E84750E51ZL55262M", false},
	{"LC49667560U923499588U6O28771BW6G", true},
	{"LC49267560U923499588U6O28771BW6G", false},
	{"RU892543JMA61H50P16561Y0136P752R9", true},
	{"RU892543JMK61H50P16561Y0136P752R9", false},
	{"RU413350J857738FT136894ACJ32W5Q14", true},
	{"RU413350J867738FT136894ACJ32W5Q14", false},
	{"BE80Z2P9580233E0", true},
	{"BE80Z2P9580223E0", false},
	{"BE66Z699309R833X", true},
	{"BE66Z499309R833X", false},
	{"IT678857862267OS06024027166", true},
	{"IT678857862267TS06024027166", false},
	{"IT6370912549E2727821D12450U", true},
	{"IT6370912549E2727921D12450U", false},
	{"ES179131740QG47089V76W42", true},
	{"ES179531740QG47089V76W42", false},
	{"ES362B4T98483672J93GB025", true},
	{"ES362B4T98483672J92GB025", false},
	{"PL181541700AQ5425482L4T9WL89", true},
	{"PL181541700AQ1425482L4T9WL89", false},
	{"PL8529F7370644Q1O12O92201239", true},
	{"PL8529F7370644Q1S12O92201239", false},
}

// luhnOracleCases are random card-like numbers labelled by the same Python script's
// Luhn check (double every second digit from the right, subtract 9 above 9, sum
// divisible by 10); the last eight were completed to be valid.
var luhnOracleCases = []struct {
	digits string
	valid  bool
}{
	{"374490381737097", false},
	{"4715888160091954", false},
	{"372449392960901", true},
	{"6011371633789652", false},
	{"5168700238801210", false},
	{"376262371565378", false},
	{"6011191500908870", false},
	{"3530229929682437", false},
	{"6011412637433137", false},
	{"6011106619268696", false},
	{"3530732048164470", true},
	{"4004178859235094", false},
	{"3530826821351494", false},
	{"378265987337618", true},
	{"6011488217521992", false},
	{"3530205794942984", false},
	{"3530730690215255", false},
	{"378436065852306", false},
	{"376155733520069", false},
	{"5186559220836220", false},
	{"5141288683467533", false},
	{"3530128180349749", false},
	{"3530901522192828", false},
	{"374935749206370", false},
	{"5129422406842881", true},
	{"373601703427058", true},
	{"3530896581965534", true},
	{"4501354895215926", true},
	{"5184260862949978", true},
	{"5126897971134835", true},
	{"5139488818365181", true},
	{"370606201252349", true},
}

func TestIBANOracle(t *testing.T) {
	t.Parallel()
	for _, tt := range ibanOracleCases {
		if got := ibanValid(tt.iban); got != tt.valid {
			t.Errorf("ibanValid(%s) = %v, want %v", tt.iban, got, tt.valid)
		}
		f, err := NewFinder([]Type{IBAN})
		if err != nil {
			t.Fatal(err)
		}
		text := "Send it to " + tt.iban + " today."
		got := len(f.Find(text)) == 1
		if got != tt.valid {
			t.Errorf("Find(%q) found an IBAN = %v, want %v", text, got, tt.valid)
		}
	}
}

func TestLuhnOracle(t *testing.T) {
	t.Parallel()
	for _, tt := range luhnOracleCases {
		if got := luhnValid(tt.digits); got != tt.valid {
			t.Errorf("luhnValid(%s) = %v, want %v", tt.digits, got, tt.valid)
		}
	}
}
