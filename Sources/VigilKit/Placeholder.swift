// VigilKit
