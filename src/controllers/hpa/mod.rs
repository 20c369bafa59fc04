//! HorizontalPodAutoscaler controller: replica proposals per metric and their normalisation.

pub mod normalize;
pub mod replica_calculator;
