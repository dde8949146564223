package geo

// countryTable holds every ISO 3166-1 alpha-2 country, plus XK (Kosovo, a
// user-assigned code that MaxMind and DB-IP return), sorted by code: its
// continent as GeoNames and MaxMind assign it, and an approximate geographic
// centre (one decimal). The table was written by hand for gtmd, nothing
// downloaded; a centre is good to a degree or so, which is enough for what it
// does: stand in for a client's location when the database has no better.
//
// It is read-only: nothing writes it after compilation.
var countryTable = [...]countryFact{
	{"AD", "EU", 42.5, 1.5},     // Andorra
	{"AE", "AS", 24.0, 54.0},    // United Arab Emirates
	{"AF", "AS", 33.0, 65.0},    // Afghanistan
	{"AG", "NA", 17.1, -61.8},   // Antigua and Barbuda
	{"AI", "NA", 18.2, -63.2},   // Anguilla
	{"AL", "EU", 41.0, 20.0},    // Albania
	{"AM", "AS", 40.0, 45.0},    // Armenia
	{"AO", "AF", -12.5, 18.5},   // Angola
	{"AQ", "AN", -75.0, 0.0},    // Antarctica
	{"AR", "SA", -34.0, -64.0},  // Argentina
	{"AS", "OC", -14.3, -170.7}, // American Samoa
	{"AT", "EU", 47.3, 13.3},    // Austria
	{"AU", "OC", -25.0, 134.0},  // Australia
	{"AW", "NA", 12.5, -70.0},   // Aruba
	{"AX", "EU", 60.2, 20.0},    // Åland Islands
	{"AZ", "AS", 40.5, 47.5},    // Azerbaijan
	{"BA", "EU", 44.0, 18.0},    // Bosnia and Herzegovina
	{"BB", "NA", 13.2, -59.5},   // Barbados
	{"BD", "AS", 24.0, 90.0},    // Bangladesh
	{"BE", "EU", 50.8, 4.0},     // Belgium
	{"BF", "AF", 13.0, -2.0},    // Burkina Faso
	{"BG", "EU", 43.0, 25.0},    // Bulgaria
	{"BH", "AS", 26.0, 50.5},    // Bahrain
	{"BI", "AF", -3.5, 30.0},    // Burundi
	{"BJ", "AF", 9.5, 2.3},      // Benin
	{"BL", "NA", 17.9, -62.8},   // Saint Barthélemy
	{"BM", "NA", 32.3, -64.8},   // Bermuda
	{"BN", "AS", 4.5, 114.7},    // Brunei
	{"BO", "SA", -17.0, -65.0},  // Bolivia
	{"BQ", "NA", 12.2, -68.3},   // Bonaire, Sint Eustatius and Saba
	{"BR", "SA", -10.0, -55.0},  // Brazil
	{"BS", "NA", 24.2, -76.0},   // Bahamas
	{"BT", "AS", 27.5, 90.5},    // Bhutan
	{"BV", "AN", -54.4, 3.4},    // Bouvet Island
	{"BW", "AF", -22.0, 24.0},   // Botswana
	{"BY", "EU", 53.0, 28.0},    // Belarus
	{"BZ", "NA", 17.2, -88.8},   // Belize
	{"CA", "NA", 60.0, -95.0},   // Canada
	{"CC", "AS", -12.2, 96.8},   // Cocos (Keeling) Islands
	{"CD", "AF", -2.9, 23.7},    // Congo (Democratic Republic)
	{"CF", "AF", 7.0, 21.0},     // Central African Republic
	{"CG", "AF", -1.0, 15.0},    // Congo
	{"CH", "EU", 47.0, 8.0},     // Switzerland
	{"CI", "AF", 8.0, -5.0},     // Côte d'Ivoire
	{"CK", "OC", -21.2, -159.8}, // Cook Islands
	{"CL", "SA", -30.0, -71.0},  // Chile
	{"CM", "AF", 6.0, 12.0},     // Cameroon
	{"CN", "AS", 35.0, 105.0},   // China
	{"CO", "SA", 4.0, -72.0},    // Colombia
	{"CR", "NA", 10.0, -84.0},   // Costa Rica
	{"CU", "NA", 21.5, -80.0},   // Cuba
	{"CV", "AF", 16.0, -24.0},   // Cabo Verde
	{"CW", "NA", 12.2, -69.0},   // Curaçao
	{"CX", "OC", -10.5, 105.7},  // Christmas Island
	{"CY", "EU", 35.0, 33.0},    // Cyprus
	{"CZ", "EU", 49.8, 15.5},    // Czechia
	{"DE", "EU", 51.0, 9.0},     // Germany
	{"DJ", "AF", 11.5, 43.0},    // Djibouti
	{"DK", "EU", 56.0, 10.0},    // Denmark
	{"DM", "NA", 15.4, -61.4},   // Dominica
	{"DO", "NA", 19.0, -70.7},   // Dominican Republic
	{"DZ", "AF", 28.0, 3.0},     // Algeria
	{"EC", "SA", -2.0, -77.5},   // Ecuador
	{"EE", "EU", 59.0, 26.0},    // Estonia
	{"EG", "AF", 27.0, 30.0},    // Egypt
	{"EH", "AF", 24.5, -13.0},   // Western Sahara
	{"ER", "AF", 15.0, 39.0},    // Eritrea
	{"ES", "EU", 40.0, -4.0},    // Spain
	{"ET", "AF", 8.0, 38.0},     // Ethiopia
	{"FI", "EU", 64.0, 26.0},    // Finland
	{"FJ", "OC", -18.0, 178.0},  // Fiji
	{"FK", "SA", -51.8, -59.0},  // Falkland Islands
	{"FM", "OC", 6.9, 158.2},    // Micronesia
	{"FO", "EU", 62.0, -7.0},    // Faroe Islands
	{"FR", "EU", 46.0, 2.0},     // France
	{"GA", "AF", -1.0, 11.8},    // Gabon
	{"GB", "EU", 54.0, -2.0},    // United Kingdom
	{"GD", "NA", 12.1, -61.7},   // Grenada
	{"GE", "AS", 42.0, 43.5},    // Georgia
	{"GF", "SA", 4.0, -53.0},    // French Guiana
	{"GG", "EU", 49.5, -2.6},    // Guernsey
	{"GH", "AF", 8.0, -2.0},     // Ghana
	{"GI", "EU", 36.1, -5.4},    // Gibraltar
	{"GL", "NA", 72.0, -40.0},   // Greenland
	{"GM", "AF", 13.5, -15.5},   // Gambia
	{"GN", "AF", 11.0, -10.0},   // Guinea
	{"GP", "NA", 16.2, -61.6},   // Guadeloupe
	{"GQ", "AF", 2.0, 10.0},     // Equatorial Guinea
	{"GR", "EU", 39.0, 22.0},    // Greece
	{"GS", "AN", -54.5, -37.0},  // South Georgia and the South Sandwich Islands
	{"GT", "NA", 15.5, -90.3},   // Guatemala
	{"GU", "OC", 13.4, 144.8},   // Guam
	{"GW", "AF", 12.0, -15.0},   // Guinea-Bissau
	{"GY", "SA", 5.0, -59.0},    // Guyana
	{"HK", "AS", 22.3, 114.2},   // Hong Kong
	{"HM", "AN", -53.1, 73.5},   // Heard Island and McDonald Islands
	{"HN", "NA", 15.0, -86.5},   // Honduras
	{"HR", "EU", 45.2, 15.5},    // Croatia
	{"HT", "NA", 19.0, -72.4},   // Haiti
	{"HU", "EU", 47.0, 20.0},    // Hungary
	{"ID", "AS", -5.0, 120.0},   // Indonesia
	{"IE", "EU", 53.0, -8.0},    // Ireland
	{"IL", "AS", 31.5, 34.8},    // Israel
	{"IM", "EU", 54.2, -4.5},    // Isle of Man
	{"IN", "AS", 22.0, 79.0},    // India
	{"IO", "AS", -6.0, 71.5},    // British Indian Ocean Territory
	{"IQ", "AS", 33.0, 44.0},    // Iraq
	{"IR", "AS", 32.0, 53.0},    // Iran
	{"IS", "EU", 65.0, -18.0},   // Iceland
	{"IT", "EU", 42.8, 12.8},    // Italy
	{"JE", "EU", 49.2, -2.1},    // Jersey
	{"JM", "NA", 18.2, -77.5},   // Jamaica
	{"JO", "AS", 31.0, 36.0},    // Jordan
	{"JP", "AS", 36.0, 138.0},   // Japan
	{"KE", "AF", 1.0, 38.0},     // Kenya
	{"KG", "AS", 41.0, 75.0},    // Kyrgyzstan
	{"KH", "AS", 13.0, 105.0},   // Cambodia
	{"KI", "OC", 1.4, 173.0},    // Kiribati
	{"KM", "AF", -12.2, 44.2},   // Comoros
	{"KN", "NA", 17.3, -62.7},   // Saint Kitts and Nevis
	{"KP", "AS", 40.0, 127.0},   // North Korea
	{"KR", "AS", 37.0, 127.5},   // South Korea
	{"KW", "AS", 29.5, 47.8},    // Kuwait
	{"KY", "NA", 19.5, -80.5},   // Cayman Islands
	{"KZ", "AS", 48.0, 68.0},    // Kazakhstan
	{"LA", "AS", 18.0, 105.0},   // Laos
	{"LB", "AS", 33.8, 35.8},    // Lebanon
	{"LC", "NA", 13.9, -61.0},   // Saint Lucia
	{"LI", "EU", 47.2, 9.5},     // Liechtenstein
	{"LK", "AS", 7.0, 81.0},     // Sri Lanka
	{"LR", "AF", 6.5, -9.5},     // Liberia
	{"LS", "AF", -29.5, 28.5},   // Lesotho
	{"LT", "EU", 55.2, 23.9},    // Lithuania
	{"LU", "EU", 49.8, 6.2},     // Luxembourg
	{"LV", "EU", 57.0, 25.0},    // Latvia
	{"LY", "AF", 27.0, 17.0},    // Libya
	{"MA", "AF", 32.0, -5.0},    // Morocco
	{"MC", "EU", 43.7, 7.4},     // Monaco
	{"MD", "EU", 47.0, 29.0},    // Moldova
	{"ME", "EU", 42.5, 19.3},    // Montenegro
	{"MF", "NA", 18.1, -63.1},   // Saint Martin (French part)
	{"MG", "AF", -20.0, 47.0},   // Madagascar
	{"MH", "OC", 7.1, 171.2},    // Marshall Islands
	{"MK", "EU", 41.6, 21.7},    // North Macedonia
	{"ML", "AF", 17.0, -4.0},    // Mali
	{"MM", "AS", 22.0, 96.0},    // Myanmar
	{"MN", "AS", 46.0, 105.0},   // Mongolia
	{"MO", "AS", 22.2, 113.5},   // Macao
	{"MP", "OC", 15.2, 145.8},   // Northern Mariana Islands
	{"MQ", "NA", 14.7, -61.0},   // Martinique
	{"MR", "AF", 20.0, -12.0},   // Mauritania
	{"MS", "NA", 16.7, -62.2},   // Montserrat
	{"MT", "EU", 35.9, 14.4},    // Malta
	{"MU", "AF", -20.3, 57.6},   // Mauritius
	{"MV", "AS", 3.2, 73.0},     // Maldives
	{"MW", "AF", -13.5, 34.0},   // Malawi
	{"MX", "NA", 23.0, -102.0},  // Mexico
	{"MY", "AS", 2.5, 112.5},    // Malaysia
	{"MZ", "AF", -18.2, 35.0},   // Mozambique
	{"NA", "AF", -22.0, 17.0},   // Namibia
	{"NC", "OC", -21.5, 165.5},  // New Caledonia
	{"NE", "AF", 16.0, 8.0},     // Niger
	{"NF", "OC", -29.0, 168.0},  // Norfolk Island
	{"NG", "AF", 10.0, 8.0},     // Nigeria
	{"NI", "NA", 13.0, -85.0},   // Nicaragua
	{"NL", "EU", 52.5, 5.8},     // Netherlands
	{"NO", "EU", 62.0, 10.0},    // Norway
	{"NP", "AS", 28.0, 84.0},    // Nepal
	{"NR", "OC", -0.5, 166.9},   // Nauru
	{"NU", "OC", -19.0, -169.9}, // Niue
	{"NZ", "OC", -41.0, 174.0},  // New Zealand
	{"OM", "AS", 21.0, 57.0},    // Oman
	{"PA", "NA", 9.0, -80.0},    // Panama
	{"PE", "SA", -10.0, -76.0},  // Peru
	{"PF", "OC", -15.0, -140.0}, // French Polynesia
	{"PG", "OC", -6.0, 147.0},   // Papua New Guinea
	{"PH", "AS", 13.0, 122.0},   // Philippines
	{"PK", "AS", 30.0, 70.0},    // Pakistan
	{"PL", "EU", 52.0, 20.0},    // Poland
	{"PM", "NA", 46.8, -56.3},   // Saint Pierre and Miquelon
	{"PN", "OC", -25.1, -130.1}, // Pitcairn
	{"PR", "NA", 18.2, -66.5},   // Puerto Rico
	{"PS", "AS", 32.0, 35.2},    // Palestine
	{"PT", "EU", 39.5, -8.0},    // Portugal
	{"PW", "OC", 7.5, 134.5},    // Palau
	{"PY", "SA", -23.0, -58.0},  // Paraguay
	{"QA", "AS", 25.5, 51.2},    // Qatar
	{"RE", "AF", -21.1, 55.6},   // Réunion
	{"RO", "EU", 46.0, 25.0},    // Romania
	{"RS", "EU", 44.0, 21.0},    // Serbia
	{"RU", "EU", 60.0, 100.0},   // Russia
	{"RW", "AF", -2.0, 30.0},    // Rwanda
	{"SA", "AS", 25.0, 45.0},    // Saudi Arabia
	{"SB", "OC", -8.0, 159.0},   // Solomon Islands
	{"SC", "AF", -4.6, 55.7},    // Seychelles
	{"SD", "AF", 15.0, 30.0},    // Sudan
	{"SE", "EU", 62.0, 15.0},    // Sweden
	{"SG", "AS", 1.4, 103.8},    // Singapore
	{"SH", "AF", -15.9, -5.7},   // Saint Helena, Ascension and Tristan da Cunha
	{"SI", "EU", 46.1, 14.8},    // Slovenia
	{"SJ", "EU", 78.0, 20.0},    // Svalbard and Jan Mayen
	{"SK", "EU", 48.7, 19.5},    // Slovakia
	{"SL", "AF", 8.5, -11.5},    // Sierra Leone
	{"SM", "EU", 43.9, 12.4},    // San Marino
	{"SN", "AF", 14.0, -14.0},   // Senegal
	{"SO", "AF", 10.0, 49.0},    // Somalia
	{"SR", "SA", 4.0, -56.0},    // Suriname
	{"SS", "AF", 7.0, 30.0},     // South Sudan
	{"ST", "AF", 1.0, 7.0},      // São Tomé and Príncipe
	{"SV", "NA", 13.8, -88.9},   // El Salvador
	{"SX", "NA", 18.0, -63.1},   // Sint Maarten (Dutch part)
	{"SY", "AS", 35.0, 38.0},    // Syria
	{"SZ", "AF", -26.5, 31.5},   // Eswatini
	{"TC", "NA", 21.8, -71.6},   // Turks and Caicos Islands
	{"TD", "AF", 15.0, 19.0},    // Chad
	{"TF", "AN", -49.3, 69.2},   // French Southern Territories
	{"TG", "AF", 8.0, 1.2},      // Togo
	{"TH", "AS", 15.0, 100.0},   // Thailand
	{"TJ", "AS", 39.0, 71.0},    // Tajikistan
	{"TK", "OC", -9.0, -172.0},  // Tokelau
	{"TL", "OC", -8.8, 125.9},   // Timor-Leste
	{"TM", "AS", 40.0, 60.0},    // Turkmenistan
	{"TN", "AF", 34.0, 9.0},     // Tunisia
	{"TO", "OC", -20.0, -175.0}, // Tonga
	{"TR", "AS", 39.0, 35.0},    // Türkiye
	{"TT", "NA", 10.7, -61.2},   // Trinidad and Tobago
	{"TV", "OC", -8.0, 178.0},   // Tuvalu
	{"TW", "AS", 23.5, 121.0},   // Taiwan
	{"TZ", "AF", -6.0, 35.0},    // Tanzania
	{"UA", "EU", 49.0, 32.0},    // Ukraine
	{"UG", "AF", 1.0, 32.0},     // Uganda
	{"UM", "OC", 19.3, 166.6},   // United States Minor Outlying Islands
	{"US", "NA", 39.8, -98.6},   // United States
	{"UY", "SA", -33.0, -56.0},  // Uruguay
	{"UZ", "AS", 41.0, 64.0},    // Uzbekistan
	{"VA", "EU", 41.9, 12.5},    // Holy See
	{"VC", "NA", 13.2, -61.2},   // Saint Vincent and the Grenadines
	{"VE", "SA", 8.0, -66.0},    // Venezuela
	{"VG", "NA", 18.5, -64.5},   // Virgin Islands (British)
	{"VI", "NA", 18.3, -64.9},   // Virgin Islands (U.S.)
	{"VN", "AS", 16.2, 107.8},   // Viet Nam
	{"VU", "OC", -16.0, 167.0},  // Vanuatu
	{"WF", "OC", -13.3, -176.2}, // Wallis and Futuna
	{"WS", "OC", -13.6, -172.3}, // Samoa
	{"XK", "EU", 42.6, 20.9},    // Kosovo (user-assigned code used by MaxMind and DB-IP)
	{"YE", "AS", 15.0, 48.0},    // Yemen
	{"YT", "AF", -12.8, 45.2},   // Mayotte
	{"ZA", "AF", -29.0, 24.0},   // South Africa
	{"ZM", "AF", -15.0, 30.0},   // Zambia
	{"ZW", "AF", -20.0, 30.0},   // Zimbabwe
}
