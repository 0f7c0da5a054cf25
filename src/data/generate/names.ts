/**
 * Deterministic, unique, human-looking names for companies, schools, locations and industries.
 * Name i is a bijective function of i, so a dictionary of n names never has duplicates.
 */

export const LOCATIONS: readonly string[] = [
  'London', 'New York', 'San Francisco', 'Berlin', 'Paris', 'Bangalore', 'Toronto', 'Sydney', 'Singapore',
  'Tokyo', 'Amsterdam', 'Dublin', 'Chicago', 'Seattle', 'Austin', 'Boston', 'Los Angeles', 'Madrid',
  'Barcelona', 'Munich', 'Zurich', 'Stockholm', 'Copenhagen', 'Warsaw', 'Prague', 'Vienna', 'Milan',
  'Lisbon', 'Tel Aviv', 'Dubai', 'Mumbai', 'Delhi', 'Hyderabad', 'Shanghai', 'Seoul', 'Hong Kong',
  'Sao Paulo', 'Mexico City', 'Buenos Aires', 'Cape Town', 'Lagos', 'Nairobi', 'Cairo', 'Istanbul',
  'Melbourne', 'Auckland', 'Vancouver', 'Montreal', 'Denver', 'Atlanta', 'Miami', 'Dallas', 'Manila',
  'Jakarta', 'Kuala Lumpur', 'Bangkok', 'Helsinki', 'Oslo', 'Edinburgh', 'Manchester',
];

export const INDUSTRIES: readonly string[] = [
  'Software', 'Financial Services', 'Healthcare', 'Retail', 'Education', 'Manufacturing', 'Consulting',
  'Telecommunications', 'Media', 'Energy', 'Logistics', 'Hospitality', 'Real Estate', 'Government',
  'Biotechnology', 'Automotive', 'Insurance', 'Legal', 'Marketing', 'Nonprofit', 'Aerospace', 'Gaming',
];

const COMPANY_HEADS = [
  'Acme', 'Nimbus', 'Vertex', 'Orbit', 'Quantum', 'Blue', 'Red', 'Silver', 'Northern', 'Apex', 'Bright',
  'Cedar', 'Delta', 'Ember', 'Falcon', 'Granite', 'Harbor', 'Iris', 'Juniper', 'Kestrel', 'Lumen', 'Maple',
  'Nova', 'Onyx', 'Pioneer', 'Quartz', 'River', 'Summit', 'Tidal', 'Unity', 'Vivid', 'Willow', 'Zenith',
];
const COMPANY_TAILS = [
  ' Labs', ' Systems', ' Group', ' Health', ' Capital', ' Works', ' Analytics', ' Logistics', ' Media',
  ' Energy', ' Robotics', ' Foods', ' Bank', ' Consulting', ' Networks', ' Studios', ' Partners',
  ' Dynamics', ' Retail', ' Motors', 'soft', 'tech', 'ify', ' & Co',
];
const SCHOOL_NAMES = [
  'Ashford', 'Brookfield', 'Carlton', 'Dunmore', 'Eastwood', 'Fairview', 'Glenwood', 'Hillcrest',
  'Kingsley', 'Lakeside', 'Marlow', 'Northgate', 'Oakridge', 'Princeton Hills', 'Queensbury', 'Riverside',
  'Stanmore', 'Thornbury', 'Westbrook', 'Yarrow',
];
const SCHOOL_FORMS = ['University of %', '% College', '% Institute of Technology', '% State University', '% Business School'];

/** Company name number i (unique for every i ≥ 0). */
export function companyName(i: number): string {
  const h = COMPANY_HEADS.length;
  const t = COMPANY_TAILS.length;
  const base = COMPANY_HEADS[i % h] + COMPANY_TAILS[Math.floor(i / h) % t];
  const round = Math.floor(i / (h * t));
  return round === 0 ? base : `${base} ${round + 1}`;
}

/** School name number i (unique for every i ≥ 0). Early ones are named after cities. */
export function schoolName(i: number): string {
  const cities = LOCATIONS.length;
  if (i < cities) return `University of ${LOCATIONS[i]}`;
  const j = i - cities;
  const n = SCHOOL_NAMES.length;
  const f = SCHOOL_FORMS.length;
  const base = SCHOOL_FORMS[Math.floor(j / n) % f].replace('%', SCHOOL_NAMES[j % n]);
  const round = Math.floor(j / (n * f));
  return round === 0 ? base : `${base} ${round + 1}`;
}
