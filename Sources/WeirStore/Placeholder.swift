public enum WeirStorePlaceholder {}
