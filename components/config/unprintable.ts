/** Control characters, and the bidirectional ones that make a line read other than it is stored (an audit trail's text). */
export const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
