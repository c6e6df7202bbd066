// Encode
