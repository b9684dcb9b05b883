"""The annotation stage: model judges between a run's answers and its metrics (`base.Annotator`)."""
